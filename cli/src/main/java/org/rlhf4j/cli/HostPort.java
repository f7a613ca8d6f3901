package org.rlhf4j.cli;

/** A {@code HOST:PORT} option value, checked: a host and a port from 0 to 65535. */
record HostPort(String host, int port) {

  /** {@code value} of option {@code option}, or a {@link UserInputException} saying what is wrong. */
  static HostPort parse(String option, String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new UserInputException(option + " " + value + ": expected HOST:PORT, such as "
          + "10.0.0.5:25520");
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65_535) {
      throw new UserInputException(option + " " + value + ": the port must be a number from 0 "
          + "to 65535");
    }
    return new HostPort(value.substring(0, colon), port);
  }
}
