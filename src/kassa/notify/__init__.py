"""What Kassa sends people: tickets as PDF by e-mail, order exports as CSV."""
