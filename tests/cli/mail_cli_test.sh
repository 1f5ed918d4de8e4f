#!/usr/bin/env bash
# Protected e-mail from the command line. The input message is written by Python's email package
# (an independent MIME implementation) and the wrapper openrms writes is read back with it: the
# structure (Content-Class, message.rpmsg with the rpmsg prefix, no Bcc, the branding text) is
# checked there, and the recipient's copy of the original must be byte-identical.
# Usage: mail_cli_test.sh OPENRMS_BINARY SHARED_DIR WORK_DIR
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/cli_test_lib.sh
bin=$(readlink -f "$1")
shared=$(readlink -f "$2")
work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
export OPENRMS_STORE="$work/srv/store.db"
PY=/usr/bin/python3
source "$lib"

"$bin" server init >/dev/null || exit 2
for u in alice@contoso.com bob@contoso.com dave@contoso.com eve@fabrikam.com; do
  "$bin" user enroll "$u" >/dev/null || exit 2
done
cp "$shared/corpus/office/expected/msoffcrypto__example.docx" report.docx || exit 2
$PY - <<'PYEOF' || exit 2
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Alice <alice@contoso.com>"
m["To"] = "bob@contoso.com"
m["Bcc"] = "dave@contoso.com"
m["Subject"] = "Résultats confidentiels"
m.set_content("Numbers attached.\nAlice\n")
m.add_alternative("<p>Numbers attached.</p>", subtype="html")
m.add_attachment(open("report.docx", "rb").read(), maintype="application",
                 subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                 filename="report.docx")
m.add_attachment(b"col1,col2\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
open("q3.eml", "wb").write(bytes(m))
PYEOF

run branding add Legal --introduction-text "Contoso Legal sent you a protected message." --disclaimer-text "Privileged."
check "branding add" rc 0
run branding add Legal
check "duplicate branding refused" rc 1
run branding list
check "branding list" has "Legal"
run mail settings --accepted-domain contoso.com --portal-url https://mail.contoso.com/read
check "settings" has '"contoso.com"'

run mail protect q3.eml --as alice@contoso.com --do-not-forward --branding Legal -o q3-protected.eml
check "protect DNF" rc 0
check "attachments reported" has "report.docx: protected as office-irm"
check "wrapper structure (Python email)" $PY - <<'PYEOF'
import email, email.policy
m = email.message_from_bytes(open("q3-protected.eml", "rb").read(), policy=email.policy.default)
assert m["Content-Class"] == "rpmsg.message", m["Content-Class"]
assert m["Bcc"] is None and b"dave@contoso.com" not in open("q3-protected.eml", "rb").read()
assert str(m["Subject"]) == "Résultats confidentiels"
body = m.get_body(preferencelist=("plain",)).get_content()
assert "Contoso Legal sent you a protected message." in body and "https://mail.contoso.com/read?id=" in body
rp = [p for p in m.iter_attachments() if p.get_filename() == "message.rpmsg"]
assert len(rp) == 1
data = rp[0].get_content()
assert data[:8] == bytes.fromhex("76E80460C411E386"), data[:8].hex()
assert b"Numbers attached" not in data
# The compression layer, undone by Python's zlib: blocks of {marker, size, zsize, zlib stream}
# that inflate to a compound file in the binary IRM layout (olefile reads it).
import io, struct, zlib, olefile
at, cfb = 8, b""
while at < len(data):
    marker, size, zsize = struct.unpack_from("<III", data, at)
    at += 12
    assert marker == 0x0FA0 and 0 < size <= 4096, (marker, size)
    block = zlib.decompress(data[at:at + zsize])
    assert len(block) == size
    cfb += block
    at += zsize
assert olefile.isOleFile(io.BytesIO(cfb))
ole = olefile.OleFileIO(io.BytesIO(cfb))
names = ["/".join(e) for e in ole.listdir()]
assert "\x09DRMContent" in names and "OpenRMS.Attachments" in names, names
PYEOF

run mail inspect q3-protected.eml
check "inspect" has "alice@contoso.com"
run mail open q3-protected.eml --as bob@contoso.com --body --save-attachments bob-files
check "bob opens" rc 0
check "bob may reply" has "reply .*yes"
check "bob may not forward" has "forward .*no"
check "body shown" has "Numbers attached."
check "docx saved protected" [ -s bob-files/report.docx ]
check "csv saved as PFile" [ -s bob-files/data.csv.pfile ]
run open bob-files/report.docx --as bob@contoso.com
check "saved attachment opens with inherited rights" has "DOCEDIT"
run mail open q3-protected.eml --as bob@contoso.com --save-attachments bob-files
check "saving again refuses to overwrite" rc 1
check "the refusal says --force" has "force" err.txt
run mail open q3-protected.eml --as bob@contoso.com --save-attachments bob-files --force
check "--force overwrites" rc 0
$PY - <<'PYEOF' || exit 2
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "alice@contoso.com"
m["To"] = "bob@contoso.com"
m["Subject"] = "two notes"
m.set_content("Two files with one name.\n")
for text in (b"first\n", b"second\n"):
    m.add_attachment(text, maintype="text", subtype="plain", filename="notes.txt")
open("dup.eml", "wb").write(bytes(m))
PYEOF
run mail protect dup.eml --as alice@contoso.com --encrypt-only -o dup-protected.eml
run mail open dup-protected.eml --as bob@contoso.com --save-attachments dup-files
check "same-named attachments both saved" test -s dup-files/notes.ptxt -a -s "dup-files/notes (2).ptxt"
run open "dup-files/notes (2).ptxt" --as bob@contoso.com --print
check "the second is the second" has "second"
run mail open q3-protected.eml --as bob@contoso.com --delivered bob.eml
check "delivered copy" rc 0
check "a recipient's delivered copy has no Bcc (Python email)" $PY -c '
import email, email.policy
m = email.message_from_bytes(open("bob.eml", "rb").read(), policy=email.policy.default)
assert m["Bcc"] is None and b"dave@contoso.com" not in open("bob.eml", "rb").read()
assert m["To"] == "bob@contoso.com"'
# reply / forward from the command line, under Do Not Forward.
printf 'From: bob@contoso.com\r\nTo: alice@contoso.com\r\nSubject: Re: q3\r\n\r\nThanks.\r\n' >re.eml
printf 'From: bob@contoso.com\r\nTo: alice@contoso.com, eve@fabrikam.com\r\nSubject: Re: q3\r\n\r\nFYI.\r\n' >re-eve.eml
run mail reply q3-protected.eml --message re.eml --as bob@contoso.com -o re-protected.eml
check "mail reply" rc 0
run mail open re-protected.eml --as alice@contoso.com --body
check "the sender reads the protected reply" has "Thanks."
run mail open re-protected.eml --as eve@fabrikam.com
check "the reply keeps Do Not Forward" has "no_right" err.txt
run mail reply q3-protected.eml --message re-eve.eml --all --as bob@contoso.com -o re2.eml
check "a reply to someone new is a forward: refused" has "no_right" err.txt
check "nothing written" test ! -e re2.eml
run mail forward q3-protected.eml --message re-eve.eml --as bob@contoso.com -o fwd.eml
check "mail forward under Do Not Forward: refused" has "no_right" err.txt
run mail open q3-protected.eml --as bob@contoso.com --original leak.eml
check "bob cannot take the original" rc 1
check "nothing written" [ ! -e leak.eml ]
run mail open q3-protected.eml --as dave@contoso.com
check "Bcc recipient opens" rc 0
run mail open q3-protected.eml --as eve@fabrikam.com
check "non-recipient refused" has "no_right" err.txt
run mail open q3-protected.eml --as alice@contoso.com --original back.eml
check "sender gets the original byte for byte" cmp -s back.eml q3.eml

# Rules decide.
run rules add '{"name": "External", "conditions": {"sent_to_scope": "NotInOrganization"}, "actions": {"apply": {"kind": "EncryptOnly"}}}'
check "rule add" rc 0
run rules add '{"name": "Bad", "conditions": {"colour": "red"}, "actions": {"stop_processing": true}}'
check "bad rule refused with the field" has "colour" err.txt
sed 's/bob@contoso.com/eve@fabrikam.com/' q3.eml >external.eml
run rules test external.eml
check "rule matches external" has "Encrypt-Only"
run rules test q3.eml
check "no rule for internal" has "no rule matched"
run mail protect q3.eml --as alice@contoso.com --rules -o internal-out.eml
check "internal mail copied unchanged" cmp -s internal-out.eml q3.eml
run mail protect external.eml --as alice@contoso.com --rules -o external-out.eml
check "external mail encrypted" has "Encrypt-Only"

run rules add '{"name": "Decrypt outbound from alice", "conditions": {"from": "alice@contoso.com", "subject_contains": "confidentiels"}, "actions": {"remove_encryption": true, "stop_processing": true}}' --priority 0
check "remove-encryption rule added first" rc 0
run mail protect q3-protected.eml --as alice@contoso.com --rules -o decrypted.eml
check "rule removes the sender's encryption" cmp -s decrypted.eml q3.eml
run mail protect q3-protected.eml --as bob@contoso.com --rules -o not-decrypted.eml
check "a recipient cannot remove it" has "no_right" err.txt
check "nothing written" [ ! -e not-decrypted.eml ]
run rules remove "Decrypt outbound from alice"
check "rule removed" rc 0

run mail revoke q3-protected.eml --as bob@contoso.com
check "only the sender revokes" rc 1
run mail revoke q3-protected.eml --as alice@contoso.com
check "sender revokes" rc 0
run mail open q3-protected.eml --as dave@contoso.com --no-cache
check "revoked" has "revoked" err.txt
run mail protect q3-protected.eml --as alice@contoso.com --encrypt-only
check "already protected refused" has "already protected" err.txt
printf 'garbage without headers\n' >junk.eml
run mail protect junk.eml --as alice@contoso.com --encrypt-only
check "malformed: bad_format" has "bad_format" err.txt

cli_test_done
