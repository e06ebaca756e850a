"""WTForms (Flask-WTF) forms of the staff app, one module per area; CSRF on every form."""
