// Apache POI as an independent oracle for openrms's interop test (compiled by interop_test.sh).
//   java PoiOracle decrypt IN PASSWORD OUT        exit 3 = wrong password
//   java PoiOracle encrypt standard|agile IN PASSWORD OUT
import java.io.*;
import java.nio.file.*;
import org.apache.poi.poifs.crypt.*;
import org.apache.poi.poifs.filesystem.POIFSFileSystem;

public class PoiOracle {
  public static void main(String[] a) throws Exception {
    if (a[0].equals("decrypt")) {
      try (POIFSFileSystem fs = new POIFSFileSystem(new File(a[1]), true)) {
        Decryptor d = Decryptor.getInstance(new EncryptionInfo(fs));
        if (!d.verifyPassword(a[2])) {
          System.err.println("POI: wrong password");
          System.exit(3);
        }
        try (InputStream in = d.getDataStream(fs); OutputStream out = new FileOutputStream(a[3])) {
          in.transferTo(out);
        }
      }
    } else {
      EncryptionMode mode = a[1].equals("agile") ? EncryptionMode.agile : EncryptionMode.standard;
      try (POIFSFileSystem fs = new POIFSFileSystem()) {
        Encryptor enc = new EncryptionInfo(mode).getEncryptor();
        enc.confirmPassword(a[3]);
        try (OutputStream os = enc.getDataStream(fs)) {
          Files.copy(Paths.get(a[2]), os);
        }
        try (OutputStream out = new FileOutputStream(a[4])) {
          fs.writeFilesystem(out);
        }
      }
    }
  }
}
