"""What every stage shares: conventions, I/O, ranks, seeds, the run folder and the stage runner.

Nothing in ``genb.core`` imports a stage; every stage imports from here.
"""
