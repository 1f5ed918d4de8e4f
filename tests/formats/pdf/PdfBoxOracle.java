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
//   java PdfBoxOracle envelope DER KEYSTORE.p12 PASSWORD   BouncyCastle opens one /Recipients
//                                                          CMS EnvelopedData with the key (key
//                                                          transport or key agreement, which
//                                                          PDFBox 2 itself does not read) and
//                                                          prints its kind, its length and the
//                                                          permissions after the 20-byte seed
// Exit 3: PDFBox cannot open IN with that key.
import java.io.*;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.PrivateKey;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.*;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
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
    if (a[0].equals("envelope")) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = new FileInputStream(a[2])) {
        ks.load(in, a[3].toCharArray());
      }
      String alias = Collections.list(ks.aliases()).get(0);
      PrivateKey key = (PrivateKey) ks.getKey(alias, a[3].toCharArray());
      X509CertificateHolder cert =
          new X509CertificateHolder(ks.getCertificate(alias).getEncoded());
      CMSEnvelopedData env = new CMSEnvelopedData(Files.readAllBytes(Paths.get(a[1])));
      BouncyCastleProvider bc = new BouncyCastleProvider();
      for (RecipientInformation ri : env.getRecipientInfos().getRecipients()) {
        if (!ri.getRID().match(cert)) continue;
        boolean agree = ri instanceof KeyAgreeRecipientInformation;
        Recipient r = agree ? new JceKeyAgreeEnvelopedRecipient(key).setProvider(bc)
                            : new JceKeyTransEnvelopedRecipient(key).setProvider(bc);
        byte[] c = ri.getContent(r);
        int bits = ((c[20] & 0xff) << 24) | ((c[21] & 0xff) << 16) | ((c[22] & 0xff) << 8)
            | (c[23] & 0xff);
        AccessPermission p = new AccessPermission(bits);
        System.out.println((agree ? "key-agreement" : "key-transport") + " " + c.length
            + " print=" + p.canPrint() + " modify=" + p.canModify());
        return;
      }
      System.exit(3);
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
