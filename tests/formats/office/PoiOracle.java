// Apache POI as an independent oracle for openrms's interop test (compiled by interop_test.sh).
//   java PoiOracle decrypt IN PASSWORD OUT        exit 3 = wrong password
//   java PoiOracle encrypt standard|agile IN PASSWORD OUT
//   java PoiOracle xls-write OUT PASSWORD TEXT    a workbook with TEXT in A1 and its title,
//                                                 HSSF-encrypted
//                                                 (RC4 CryptoAPI) when PASSWORD is not "-"
//   java PoiOracle xls-read IN                    prints A1 of both sheets of an unencrypted
//                                                 workbook, then its title
//   java PoiOracle xls-big OUT PASSWORD ROWS      ROWS x 40 numbers on one sheet, encrypted
//                                                 (for bench/legacy_vs_msoffcrypto.sh)
//   java PoiOracle xls-dump IN PASSWORD|-         every sheet's name and every cell as POI HSSF
//                                                 formats it, and the title
//   java PoiOracle ppt-dump IN PASSWORD|-         what POI HSLF reads from a presentation: the
//                                                 title and author, each slide's text and the
//                                                 SHA-256 of each picture
import java.io.*;
import java.nio.file.*;
import org.apache.poi.poifs.crypt.*;
import org.apache.poi.poifs.filesystem.POIFSFileSystem;

public class PoiOracle {
  /// The password POI's binary (HSSF/HSLF) readers use; "-" for none.
  static void usePassword(String pw) {
    org.apache.poi.hssf.record.crypto.Biff8EncryptionKey.setCurrentUserPassword(
        pw.equals("-") ? null : pw);
  }

  public static void main(String[] a) throws Exception {
    if (a[0].equals("xls-write")) {
      if (!a[2].equals("-"))
        org.apache.poi.hssf.record.crypto.Biff8EncryptionKey.setCurrentUserPassword(a[2]);
      try (org.apache.poi.hssf.usermodel.HSSFWorkbook wb =
               new org.apache.poi.hssf.usermodel.HSSFWorkbook();
           OutputStream out = new FileOutputStream(a[1])) {
        wb.createInformationProperties();
        wb.getSummaryInformation().setTitle(a[3] + " (title)");
        wb.createSheet("one").createRow(0).createCell(0).setCellValue(a[3]);
        wb.createSheet("two").createRow(0).createCell(0).setCellValue(a[3] + " (2)");
        wb.write(out);
      }
      return;
    }
    if (a[0].equals("xls-big")) {
      org.apache.poi.hssf.record.crypto.Biff8EncryptionKey.setCurrentUserPassword(a[2]);
      final int rows = Integer.parseInt(a[3]);
      try (org.apache.poi.hssf.usermodel.HSSFWorkbook wb =
               new org.apache.poi.hssf.usermodel.HSSFWorkbook();
           OutputStream out = new FileOutputStream(a[1])) {
        org.apache.poi.hssf.usermodel.HSSFSheet sheet = wb.createSheet("data");
        for (int r = 0; r < rows; ++r) {
          org.apache.poi.hssf.usermodel.HSSFRow row = sheet.createRow(r);
          for (int c = 0; c < 40; ++c) row.createCell(c).setCellValue(r * 40.0 + c + 0.5);
        }
        wb.write(out);
      }
      return;
    }
    if (a[0].equals("xls-dump")) {
      usePassword(a[2]);
      try (org.apache.poi.hssf.usermodel.HSSFWorkbook wb =
               new org.apache.poi.hssf.usermodel.HSSFWorkbook(new FileInputStream(a[1]))) {
        org.apache.poi.ss.usermodel.DataFormatter fmt = new org.apache.poi.ss.usermodel.DataFormatter();
        System.out.println("title: " + (wb.getSummaryInformation() == null
                                            ? null : wb.getSummaryInformation().getTitle()));
        for (org.apache.poi.ss.usermodel.Sheet sheet : wb) {
          System.out.println("sheet " + sheet.getSheetName());
          for (org.apache.poi.ss.usermodel.Row row : sheet)
            for (org.apache.poi.ss.usermodel.Cell cell : row)
              System.out.println("  " + cell.getAddress() + " " + fmt.formatCellValue(cell));
        }
      }
      return;
    }
    if (a[0].equals("ppt-dump")) {
      usePassword(a[2]);
      try (org.apache.poi.hslf.usermodel.HSLFSlideShow show =
               new org.apache.poi.hslf.usermodel.HSLFSlideShow(new FileInputStream(a[1]))) {
        org.apache.poi.hpsf.SummaryInformation si = show.getSlideShowImpl().getSummaryInformation();
        System.out.println("title: " + (si == null ? null : si.getTitle()));
        System.out.println("author: " + (si == null ? null : si.getAuthor()));
        for (org.apache.poi.hslf.usermodel.HSLFSlide slide : show.getSlides()) {
          System.out.println("slide " + slide.getSlideNumber());
          for (java.util.List<org.apache.poi.hslf.usermodel.HSLFTextParagraph> p :
               slide.getTextParagraphs())
            System.out.println("  " + org.apache.poi.hslf.usermodel.HSLFTextParagraph.getRawText(p));
        }
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        for (org.apache.poi.hslf.usermodel.HSLFPictureData pic : show.getPictureData()) {
          StringBuilder hex = new StringBuilder();
          for (byte b : sha.digest(pic.getData())) hex.append(String.format("%02x", b));
          System.out.println("picture " + pic.getType() + " " + pic.getData().length + " " + hex);
        }
      }
      return;
    }
    if (a[0].equals("xls-read")) {
      org.apache.poi.hssf.record.crypto.Biff8EncryptionKey.setCurrentUserPassword(null);
      try (org.apache.poi.hssf.usermodel.HSSFWorkbook wb =
               new org.apache.poi.hssf.usermodel.HSSFWorkbook(new FileInputStream(a[1]))) {
        System.out.println(wb.getSheetAt(0).getRow(0).getCell(0).getStringCellValue());
        System.out.println(wb.getSheetAt(1).getRow(0).getCell(0).getStringCellValue());
        System.out.println(wb.getSummaryInformation() == null ? "(no summary)"
                                                              : wb.getSummaryInformation().getTitle());
      }
      return;
    }
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
