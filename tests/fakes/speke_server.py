#!/usr/bin/env python3
"""A SPEKE v2.0 key server on loopback, for tests: AWS's published SPEKE API v2
request and response examples (CPIX 2.3), and the errors AWS lists for it.

No SPEKE key server can be installed here (they are DRM vendors' services), so
this follows the specification: it answers POST with the request's CPIX
document completed (a random 16-byte key per ContentKey as pskc:PlainValue,
and per DRMSystem a PSSH box of that system: Widevine's protobuf with the key
ID, PlayReady's object with a WRMHEADER 4.0 naming the key ID, the W3C common
system's version 1 box), and with the X-Speke-Version and X-Speke-User-Agent
headers. Errors, as AWS's MediaPackage guide lists them: 422 for a missing
contentId or version, an unsupported CPIX version, a ContentKey without
commonEncryptionScheme, mixed schemes, and an unsupported X-Speke-Version.

  speke_server.py --ledger FILE [--requests FILE] [--mode MODE] [--port PORT] [--sigv4 ACCESS_KEY:SECRET]

prints "listening PORT" once it serves on 127.0.0.1, and appends each issued
key to FILE as a JSON line {"contentId", "kid", "key", "type"} (hex) so that a
test can play the output and search for the keys. MODE makes it misbehave:
ok (default), status-500, status-403, garbage, other-content, missing-key.
With --sigv4 every request must carry an AWS SigV4 signature (service
execute-api, us-east-1) by those credentials, checked with botocore's signer
as API Gateway would check it: 403 otherwise.
"""
import argparse
import base64
import json
import os
import struct
import sys
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CPIX = "urn:dashif:org:cpix"
PSKC = "urn:ietf:params:xml:ns:keyprov:pskc"
WIDEVINE = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
PLAYREADY = "9a04f079-9840-4286-ab92-e65be0885f95"
COMMON = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
ET.register_namespace("cpix", CPIX)
ET.register_namespace("pskc", PSKC)


def pssh_box(system_id, data, kids=None):
    """ISO/IEC 23001-7 8.1.1: version 1 when key IDs are listed."""
    body = uuid.UUID(system_id).bytes
    if kids:
        body += struct.pack(">I", len(kids)) + b"".join(k.bytes for k in kids)
    body += struct.pack(">I", len(data)) + data
    version = 1 if kids else 0
    return struct.pack(">I4sI", 8 + 4 + len(body), b"pssh", version << 24) + body


def widevine_data(kid):
    # WidevinePsshData: field 2 (key_id), bytes; field 9 (protection_scheme) left out.
    return b"\x12\x10" + kid.bytes


def playready_object(kid):
    # A PlayReady Header 4.0: the KID is the GUID's little-endian bytes in base64.
    kid_b64 = base64.b64encode(kid.bytes_le).decode()
    header = ('<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.0.0.0">'
              f'<DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>{kid_b64}</KID>'
              '</DATA></WRMHEADER>').encode("utf-16-le")
    record = struct.pack("<HH", 1, len(header)) + header
    return struct.pack("<IH", 4 + 2 + len(record), 1) + record


def signature_problem(handler, body, access_key, secret):
    """None when the request is signed by these credentials, else why not."""
    authorization = handler.headers.get("Authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return "Missing Authentication Token"
    fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 "):].split(","))
    credential = fields.get("Credential", "").split("/")
    if len(credential) != 5 or credential[0] != access_key or credential[2:] != ["us-east-1", "execute-api", "aws4_request"]:
        return "The security token included in the request is invalid"
    signed = fields.get("SignedHeaders", "").split(";")
    headers = {name: handler.headers.get(name, "") for name in signed}
    request = AWSRequest(method="POST", url=f"http://{handler.headers.get('Host')}{handler.path}", data=body, headers=headers)
    request.context["timestamp"] = handler.headers.get("X-Amz-Date", "")
    auth = SigV4Auth(Credentials(access_key, secret), "execute-api", "us-east-1")
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != fields.get("Signature"):
        return "The request signature we calculated does not match the signature you provided"
    return None


class Handler(BaseHTTPRequestHandler):
    server_version = "speke-test-server"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/xml"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("X-Speke-Version", "2.0")
        self.send_header("X-Speke-User-Agent", "stream-transcoding-test-key-server")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, 1 << 20))
        mode = self.server.mode
        with open(self.server.requests, "ab") as log:
            log.write(json.dumps({"headers": dict(self.headers), "body": body.decode("utf-8", "replace")}).encode() + b"\n")
        if self.server.sigv4:
            problem = signature_problem(self, body, *self.server.sigv4.split(":", 1))
            if problem:
                return self.answer(403, problem, "text/plain")
        if mode == "status-500":
            return self.answer(500, "Internal error: key store unavailable", "text/plain")
        if mode == "status-403":
            return self.answer(403, "Forbidden: this encryptor is not allowed", "text/plain")
        if mode == "garbage":
            return self.answer(200, "<html><body>not CPIX</body></html>")
        if self.headers.get("X-Speke-Version") != "2.0":
            return self.answer(422, "Unsupported SPEKE version", "text/plain")
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return self.answer(422, "Malformed CPIX document", "text/plain")
        if not root.get("contentId"):
            return self.answer(422, "Missing CPIX@contentId", "text/plain")
        if not root.get("version"):
            return self.answer(422, "Missing CPIX@version", "text/plain")
        if root.get("version") != "2.3":
            return self.answer(422, "Unsupported CPIX@version", "text/plain")
        if mode == "other-content":
            root.set("contentId", "someone-else")
        keys = root.findall(f"{{{CPIX}}}ContentKeyList/{{{CPIX}}}ContentKey")
        schemes = set()
        for key in keys:
            scheme = key.get("commonEncryptionScheme")
            if not scheme:
                return self.answer(422, f"Missing ContentKey@commonEncryptionScheme for KID {key.get('kid')}", "text/plain")
            schemes.add(scheme)
        if len(schemes) > 1:
            return self.answer(422, "Non compliant ContentKey@commonEncryptionScheme combination", "text/plain")
        types = {rule.get("kid"): rule.get("intendedTrackType")
                 for rule in root.findall(f"{{{CPIX}}}ContentKeyUsageRuleList/{{{CPIX}}}ContentKeyUsageRule")}
        for index, key in enumerate(keys):
            if mode == "missing-key" and index == 0:
                continue
            value = os.urandom(16)
            data = ET.SubElement(key, f"{{{CPIX}}}Data")
            secret = ET.SubElement(data, f"{{{PSKC}}}Secret")
            ET.SubElement(secret, f"{{{PSKC}}}PlainValue").text = base64.b64encode(value).decode()
            with open(self.server.ledger, "a") as ledger:
                ledger.write(json.dumps({"contentId": root.get("contentId"), "kid": uuid.UUID(key.get("kid")).hex,
                                         "key": value.hex(), "type": types.get(key.get("kid"))}) + "\n")
        for system in root.findall(f"{{{CPIX}}}DRMSystemList/{{{CPIX}}}DRMSystem"):
            kid = uuid.UUID(system.get("kid"))
            system_id = system.get("systemId")
            box = None
            if system_id == WIDEVINE:
                box = pssh_box(WIDEVINE, widevine_data(kid))
            elif system_id == PLAYREADY:
                box = pssh_box(PLAYREADY, playready_object(kid))
            elif system_id == COMMON:
                box = pssh_box(COMMON, b"", [kid])
            for child in list(system):
                tag = child.tag.split("}")[-1]
                if tag == "PSSH" and box is not None:
                    child.text = base64.b64encode(box).decode()
                elif tag == "ContentProtectionData" and box is not None:
                    child.text = base64.b64encode(f"<cenc:pssh>{base64.b64encode(box).decode()}</cenc:pssh>".encode()).decode()
        self.answer(200, ET.tostring(root, encoding="unicode"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledger", required=True)
    parser.add_argument("--requests", default=os.devnull)
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sigv4", default="")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.ledger = args.ledger
    server.requests = args.requests
    server.mode = args.mode
    server.sigv4 = args.sigv4
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
