"""The pure domain: no I/O, no framework, no clock. Time and ids are passed in."""
