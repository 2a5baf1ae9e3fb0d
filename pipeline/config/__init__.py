"""What the user configures: settings from the environment and .env, the role table, mirrorignore."""
