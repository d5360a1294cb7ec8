//! `shadowdiff import har|gor FILE -o OUT`: convert a HAR or GoReplay file to a native recording.

use crate::cli::{ImportArgs, ImportFormat};
use crate::error::{exit, Error, Result};
use crate::settings::resolve;
use shadowdiff_io::{parse_line, Format, Limits, RawLines, RecordingWriter};

/// Converts the file; any bad record stops the conversion and nothing is written.
pub fn run(args: ImportArgs) -> Result<u8> {
    let format = match args.format {
        ImportFormat::Har => Format::Har,
        ImportFormat::Gor => Format::Gor,
    };
    let limits = Limits {
        max_line_bytes: resolve::import(&args).max_line_bytes.value,
    };
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
    }
    let mut writer = RecordingWriter::create(&args.out)?;
    let mut count = 0u64;
    for line in RawLines::open_as(&args.file, &limits, format)? {
        writer.write(&parse_line(&line?)?)?;
        count += 1;
    }
    writer.finish()?;
    eprintln!(
        "shadowdiff: imported {count} exchanges from {} to {}",
        args.file.display(),
        args.out.display()
    );
    Ok(exit::PASS)
}
