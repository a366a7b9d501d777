"""The `pulseboard` command: every package's sub-commands, plus `up` and `doctor` for a laptop."""
