//! `playground run --export-trace FILE`: every event of the run as JSON lines, written as the
//! run goes (see `docs/TRACE.md` for the schema).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use playground_core::export::Exporter;
use playground_core::lab::LabRun;
use playground_core::scenario::Scenario;

/// Writes one line, unless an earlier write failed (the first error is kept for the end).
fn write_line(out: &mut BufWriter<File>, error: &mut Option<std::io::Error>, line: &str) {
    if error.is_none() {
        if let Err(e) = writeln!(out, "{line}") {
            *error = Some(e);
        }
    }
}

pub struct TraceFile {
    path: PathBuf,
    out: BufWriter<File>,
    exporter: Exporter,
    /// The first write error, reported at the end.
    error: Option<std::io::Error>,
}

impl TraceFile {
    pub fn create(path: &Path, run: &dyn LabRun, scenario: &Scenario) -> Result<TraceFile, String> {
        let file = File::create(path).map_err(|e| format!("cannot write the trace to {}: {e}", path.display()))?;
        let (exporter, header) = Exporter::new(run, scenario);
        let mut trace = TraceFile { path: path.to_path_buf(), out: BufWriter::new(file), exporter, error: None };
        write_line(&mut trace.out, &mut trace.error, &header);
        Ok(trace)
    }

    /// Writes the events since the last call.
    pub fn drain(&mut self, run: &dyn LabRun) {
        let (out, error) = (&mut self.out, &mut self.error);
        self.exporter.drain(run, |line| write_line(out, error, &line));
    }

    pub fn finish(mut self) -> Result<(), String> {
        let flushed = self.out.flush();
        match self.error.take().map_or(flushed, Err) {
            Ok(()) => Ok(()),
            Err(e) => Err(format!("cannot write the trace to {}: {e}", self.path.display())),
        }
    }
}
