#!/bin/sh
# Post-configuration script: runs on the primary after the configuration is committed (once per configuration).
echo "post-configuration check ran"
exit 0
