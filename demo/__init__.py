"""Demo: a synthetic athlete and loopback stand-ins for the provider APIs."""
