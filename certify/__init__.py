"""certify: executable evidence for the claims of Bantzis, Simon and Jacot (2025),
"Saddle-To-Saddle Dynamics in Deep ReLU Networks: Low-Rank Bias in the First Saddle Escape".

``certify.kernel`` is the trusted core (exact and ball arithmetic, verdicts);
``certify.network`` the ReLU MLP of Section 2 over any number system;
``certify.instances`` the instance file format; ``certify.claims`` the registry.
"""

__version__ = "0.1.0"
