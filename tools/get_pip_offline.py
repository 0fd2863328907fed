"""Offline stand-in for the get-pip.py script ansible-test downloads to bootstrap its virtual environments.

ansible-test fetches get-pip from a host these machines cannot reach (see docs/testing.md). This script
does the same job from the standard library: ``ensurepip`` installs the bundled pip, which then installs
the packages ansible-test asked for (from PyPI, which is reachable).
"""
import runpy
import subprocess
import sys

# In a child process: ensurepip in this one would blank the pip configuration (PIP_CONFIG_FILE=/dev/null)
# for the install below, losing the machine's index and certificate settings.
subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade'], check=True, stdout=subprocess.DEVNULL)
# get-pip's own flags: it simply does not install setuptools or wheel; pip install would reject them.
packages = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.argv = ['pip', 'install', '--upgrade', '--force-reinstall'] + packages
runpy.run_module('pip', run_name='__main__', alter_sys=True)
