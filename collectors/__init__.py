"""Collectors: bring data from the providers and activity files into the store."""
