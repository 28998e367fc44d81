"""The digest: collecting a week, rendering Markdown and HTML, and sending it."""
