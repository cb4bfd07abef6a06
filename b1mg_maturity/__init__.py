"""b1mg-maturity: self-assessment against the B1MG Maturity Level Model for genomics in healthcare."""

__version__ = "0.1.0"
