package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DecimalsTest {
  @Test
  void integersAreWholeAndOthersKeepAtMostFourSignificantDigits() {
    assertEquals("200", Decimals.format(200));
    assertEquals("-3", Decimals.format(-3.0));
    assertEquals("0.35", Decimals.format(0.35));
    assertEquals("0.4322", Decimals.format(0.43215678));
    assertEquals("12.35", Decimals.format(12.345678));
    assertEquals("1235", Decimals.format(1234.5678));
    assertEquals("1.235e-05", Decimals.format(1.2345e-5));
    assertEquals("0.0006", Decimals.format(6e-4), "not 0.00060 from Double.toString's 6.0E-4");
    assertEquals("0.4230", Decimals.format(0.42303984), "a zero the rounding gives is a digit");
    assertEquals("0.423", Decimals.format(0.42303984, 3));
    assertEquals("1.23e-05", Decimals.format(1.2345e-5, 3));
    assertEquals("NaN", Decimals.format(Double.NaN));
  }
}
