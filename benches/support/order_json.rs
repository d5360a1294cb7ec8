//! The one ~1 KB JSON order the replay benches' servers answer every request with.

/// The order: 942 bytes of compact JSON with eight items.
pub fn order() -> String {
    let items: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"sku":"SKU-{i:04}","name":"Item number {i}","quantity":{q},"price":{{"amount":{a}.99,"currency":"EUR"}}}}"#,
                q = i % 3 + 1,
                a = 10 + i * 7
            )
        })
        .collect();
    format!(
        r#"{{"id":"ord-000001","status":"shipped","customer":{{"id":"cus-42","name":"Ada Lovelace","email":"ada@example.com"}},"items":[{}],"total":{{"amount":412.92,"currency":"EUR"}}}}"#,
        items.join(",")
    )
}
