"""The `rnnconformance` command."""
import argparse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rnnconformance")
    parser.parse_args(argv)
    return 0
