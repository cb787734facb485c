"""HTTP plumbing every face and the console share: the process context, request dependencies,
JSON responses, error rendering and the Idempotency-Key middleware. Above `app`, below the
faces and the console; it imports neither."""
