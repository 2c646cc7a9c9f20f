"""Hidden complaints: retailers whose signals (orders fell, rated low) say unhappy but who filed nothing."""
