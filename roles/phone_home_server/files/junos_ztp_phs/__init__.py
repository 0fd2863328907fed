# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""junos.ztp phone-home server: serves junos.ztp.phs_records records to Juniper phone-home clients."""

__version__ = '0.1.0'
