"""One blueprint per feature: dashboard, maps, analyses, api, initiatives, moderation."""
