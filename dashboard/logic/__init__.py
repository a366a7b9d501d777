"""Pure functions behind the dashboard's pages: records in, tables and figures out."""
