"""Running load: activities, weekly distance, acute:chronic ratio, flags and return to run."""
