"""A MuJoCo digital twin of the WidowX 250 (wx250s) toy-kitchen set-up of the CLAM paper (Appendix F)."""
