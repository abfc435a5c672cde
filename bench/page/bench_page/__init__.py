"""An app with one model, twenty rows and one page listing them through a Django template."""
