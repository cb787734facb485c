"""The console's pages, one module per page group; kassa.console.router includes them all."""
