// torch.manual_seed is process-wide: tests that seed must not interleave.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
