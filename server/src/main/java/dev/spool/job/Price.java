package dev.spool.job;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * What a job of a type costs: a fixed amount once it has started, plus an amount per second of run
 * time and per unit its executor reported. All zero means free.
 */
public record Price(BigDecimal perJob, BigDecimal perSecond, BigDecimal perUnit, String currency) {
    public static final Price FREE = new Price(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, "USD");

    public Price {
        perJob = perJob == null ? BigDecimal.ZERO : perJob;
        perSecond = perSecond == null ? BigDecimal.ZERO : perSecond;
        perUnit = perUnit == null ? BigDecimal.ZERO : perUnit;
        currency = currency == null ? "USD" : currency;
        if (perJob.signum() < 0 || perSecond.signum() < 0 || perUnit.signum() < 0) {
            throw new IllegalArgumentException("prices cannot be negative");
        }
        if (!currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency must be an ISO 4217 code such as USD");
        }
    }

    /** The cost of a job that has run {@code runMs} over {@code attempts} attempts and reported {@code units}. */
    public BigDecimal cost(int attempts, long runMs, long units) {
        if (attempts == 0) {
            return BigDecimal.ZERO.setScale(6, RoundingMode.HALF_UP);
        }
        return perJob
                .add(perSecond.multiply(BigDecimal.valueOf(runMs)).divide(BigDecimal.valueOf(1000)))
                .add(perUnit.multiply(BigDecimal.valueOf(units)))
                .setScale(6, RoundingMode.HALF_UP);
    }
}
