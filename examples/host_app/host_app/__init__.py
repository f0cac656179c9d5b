"""A small application that embeds lamin_registry in its own database (see ``README.md``)."""
