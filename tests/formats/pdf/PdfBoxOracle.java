// Apache PDFBox 2 as an independent oracle for PDFs encrypted to certificates (Adobe.PubSec),
// compiled and run by tests/formats/pdf/interop_test.sh against Debian's libpdfbox2-java.
//   java PdfBoxOracle text IN [KEYSTORE.p12 PASSWORD]      the text PDFBox extracts (opening
//                                                          IN with the keystore's key if given)
//   java PdfBoxOracle encrypt IN OUT BITS CERT.pem[=PERMS]...
//                                                          PDFBox encrypts IN to the certificates
//                                                          (BITS 40/128: RC4 or AES per PDFBox's
//                                                          default, 256: AES-256); PERMS "none"
//                                                          takes every permission away
//   java PdfBoxOracle perms IN KEYSTORE.p12 PASSWORD       canPrint/canModify/canExtractContent
// Exit 3: PDFBox cannot open IN with that key.
import java.io.*;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collections;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.*;
import org.apache.pdfbox.text.PDFTextStripper;

public class PdfBoxOracle {
  static PDDocument open(String path, String[] a, int k) throws Exception {
    if (a.length <= k) return PDDocument.load(new File(path));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(a[k])) {
      ks.load(in, a[k + 1].toCharArray());
    }
    String alias = Collections.list(ks.aliases()).stream().filter(n -> {
      try { return ks.isKeyEntry(n); } catch (Exception e) { return false; }
    }).findFirst().orElseThrow();
    try (InputStream in = new FileInputStream(a[k])) {
      return PDDocument.load(new File(path), a[k + 1], in, alias);
    }
  }

  public static void main(String[] a) throws Exception {
    try {
      run(a);
    } catch (InvalidPasswordException e) {
      System.err.println("PDFBox: " + e.getMessage());
      System.exit(3);
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("key") || e.getCause() != null) {
        System.err.println("PDFBox: " + e);
        System.exit(3);
      }
      throw e;
    }
  }

  static void run(String[] a) throws Exception {
    if (a[0].equals("text")) {
      try (PDDocument doc = open(a[1], a, 2)) {
        doc.setAllSecurityToBeRemoved(true);
        System.out.print(new PDFTextStripper().getText(doc));
      }
      return;
    }
    if (a[0].equals("perms")) {
      try (PDDocument doc = open(a[1], a, 2)) {
        AccessPermission p = doc.getCurrentAccessPermission();
        System.out.println("print=" + p.canPrint() + " modify=" + p.canModify()
            + " extract=" + p.canExtractContent());
      }
      return;
    }
    if (a[0].equals("encrypt")) {
      PublicKeyProtectionPolicy policy = new PublicKeyProtectionPolicy();
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (int i = 4; i < a.length; ++i) {
        String[] spec = a[i].split("=", 2);
        PublicKeyRecipient r = new PublicKeyRecipient();
        try (InputStream in = new FileInputStream(spec[0])) {
          r.setX509((X509Certificate) cf.generateCertificate(in));
        }
        AccessPermission p = new AccessPermission();
        if (spec.length > 1 && spec[1].equals("none")) {
          p.setCanPrint(false);
          p.setCanModify(false);
          p.setCanExtractContent(false);
          p.setCanModifyAnnotations(false);
          p.setCanFillInForm(false);
          p.setCanExtractForAccessibility(false);
          p.setCanAssembleDocument(false);
          p.setCanPrintFaithful(false);
        }
        r.setPermission(p);
        policy.addRecipient(r);
      }
      policy.setEncryptionKeyLength(Integer.parseInt(a[3]));
      try (PDDocument doc = PDDocument.load(new File(a[1]))) {
        doc.protect(policy);
        doc.save(a[2]);
      }
      return;
    }
    throw new IllegalArgumentException("unknown command " + a[0]);
  }
}
