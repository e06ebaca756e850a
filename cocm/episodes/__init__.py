"""Episodes of care: their measurement rhythm, care plan signing, and closing or stepping down."""
