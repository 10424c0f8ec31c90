"""Examples that talk to Lianban from outside: they import nothing from the project."""
