"""Training analytics as plain functions: best efforts, load and form, Eddington, privacy."""
