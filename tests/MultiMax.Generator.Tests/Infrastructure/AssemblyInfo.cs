using ApprovalTests.Reporters;

// Snapshot mismatches write *.received.cs and fail; no diff tool is launched (CI has none).
[assembly: UseReporter(typeof(QuietReporter))]
