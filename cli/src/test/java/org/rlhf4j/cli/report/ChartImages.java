package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Checks that a PNG is a drawn chart: it decodes, has the chart size and is not blank. */
final class ChartImages {
  /** The first series colour of {@link Plots}' palette. */
  private static final int FIRST_SERIES_RGB = 0x0072B2;

  private ChartImages() {}

  /** Decodes {@code png} and asserts its size, some ink and some pixels of the first series. */
  static BufferedImage assertDrawn(Path png) throws IOException {
    assertTrue(Files.isRegularFile(png), png + " is missing");
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, png + " does not decode as an image");
    assertEquals(Plots.WIDTH, image.getWidth(), png.toString());
    assertEquals(Plots.HEIGHT, image.getHeight(), png.toString());
    int background = image.getRGB(0, 0);
    long ink = 0;
    long series = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        if (rgb != background) {
          ink++;
        }
        if (distance(rgb, FIRST_SERIES_RGB) < 40) {
          series++;
        }
      }
    }
    assertTrue(ink > 1000, png + ": only " + ink + " pixels differ from the background");
    assertTrue(series > 50, png + ": only " + series + " pixels in the first series' colour");
    return image;
  }

  private static int distance(int rgb, int other) {
    int d = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
      d += Math.abs(((rgb >> shift) & 0xFF) - ((other >> shift) & 0xFF));
    }
    return d;
  }
}
