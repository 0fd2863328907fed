"""The switch fetching a URL itself (``file copy URL /var/tmp/``), with the standard library's urllib.

http and https (the system CA store plus the VC's optional ``ca_file``) and ftp (urllib's own
handler), and tftp for DHCP ZTP (tftpy, imported only when used). Credentials in the URL become HTTP
basic authentication; no proxy is used (a switch does not read the controller's proxy environment). Failures read like FreeBSD fetch(1), which
Junos uses: ``fetch: <url>: Not Found``; the URL in messages and events has its credentials removed.
"""

import base64
import ftplib
import http
import http.client
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

# Real seconds a connection or a read may stall before the fetch gives up.
FETCH_TIMEOUT = 30.0
SCHEMES = ("http", "https", "ftp")


class FetchError(Exception):
    """The fetch failed; the message is what Junos would print (without URL credentials)."""


def is_url(source):
    return "://" in source


def redact(url):
    """The URL without user name and password."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def file_name(url):
    """Last path segment of the URL (what a directory destination gets), or '' when there is none."""
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def _reason(err):
    """fetch(1)-like reason for an exception raised while fetching."""
    if isinstance(err, urllib.error.HTTPError):
        # libfetch names HTTP errors from its own table, not from the server's reason phrase.
        try:
            return http.HTTPStatus(err.code).phrase
        except ValueError:
            return err.reason or "HTTP error %d" % err.code
    if isinstance(err, urllib.error.URLError):
        cause = err.__cause__
        while isinstance(cause, urllib.error.URLError):   # urllib wraps its own ftp errors once more
            cause = cause.__cause__
        if isinstance(cause, ftplib.Error):
            return str(cause)   # the FTP server's reply, "550 No such file or directory."
        if not isinstance(err.reason, BaseException):
            return str(err.reason)
        err = err.reason
    if isinstance(err, ssl.SSLCertVerificationError):
        return "certificate verify failed"   # [guess] libfetch passes on OpenSSL's reason
    if isinstance(err, TimeoutError):
        return "Operation timed out"
    if isinstance(err, socket.gaierror):
        return "No address record"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or err.__class__.__name__


def open_url(url, ca_file=None, timeout=FETCH_TIMEOUT):
    """A readable response for ``url``; raises FetchError."""
    shown = redact(url)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise FetchError("fetch: %s: Invalid argument (the simulator fetches %s)" % (shown, ", ".join(SCHEMES)))
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url)
    if parts.scheme in ("http", "https") and parts.username is not None:
        # urllib takes no credentials from an http URL: send them as basic authentication.
        request = urllib.request.Request(shown)
        user_password = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
        request.add_header("Authorization", "Basic " + base64.b64encode(user_password.encode()).decode())
    try:
        return opener.open(request, timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as err:
        if isinstance(err, urllib.error.HTTPError):
            err.close()
        raise FetchError("fetch: %s: %s" % (shown, _reason(err))) from None


def read_chunk(response, url, size):
    """Next piece of the body (b'' at the end); raises FetchError."""
    try:
        return response.read(size)
    except (OSError, http.client.HTTPException, urllib.error.URLError) as err:
        raise FetchError("fetch: %s: %s" % (redact(url), _reason(err))) from None


def tftp_get(server, path, destination, timeout=FETCH_TIMEOUT):
    """Fetch ``path`` from a TFTP server into the host file ``destination``; returns its size; raises FetchError."""
    import tftpy   # only DHCP ZTP fetches over TFTP; the rest of the simulator does without it

    shown = "tftp://%s/%s" % ("[%s]" % server if ":" in server else server, path.lstrip("/"))
    try:
        tftpy.TftpClient(server, 69).download(path, str(destination), timeout=timeout)
    except (tftpy.TftpException, OSError) as err:
        # tftpy may leave a partial file behind; the caller removes what a failed fetch wrote.
        reason = "Operation timed out" if isinstance(err, tftpy.TftpTimeout) else (str(err) or err.__class__.__name__)
        raise FetchError("fetch: %s: %s" % (shown, reason)) from None
    return os.path.getsize(destination)
