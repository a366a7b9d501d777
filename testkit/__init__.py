"""What tests, benchmarks, the demo and the reliability trials share (never product code)."""
