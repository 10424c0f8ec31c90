"""A case as the center's staff look it up: the search box and the staff case page."""
