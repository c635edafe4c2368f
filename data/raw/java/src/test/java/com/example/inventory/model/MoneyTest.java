package com.example.inventory.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class MoneyTest {

    @Test
    void parsesAmountBeforeOrAfterCurrency() {
        assertEquals(new Money(1250, "EUR"), Money.parse("12.50 EUR"));
        assertEquals(new Money(1250, "EUR"), Money.parse("eur 12.5"));
    }

    @Test
    void addsOnlySameCurrency() {
        Money a = Money.parse("1.10 EUR");
        assertEquals(Money.parse("3.30 EUR"), a.plus(Money.parse("2.20 EUR")));
        assertThrows(IllegalArgumentException.class, () -> a.plus(Money.parse("1.00 USD")));
    }

    @Test
    void allocateSpreadsTheRemainderOverTheFirstShares() {
        Money[] shares = Money.parse("10.00 EUR").allocate(3);
        assertArrayEquals(new Money[] {new Money(334, "EUR"), new Money(333, "EUR"), new Money(333, "EUR")}, shares);
    }

    @Test
    void scalingRoundsHalfEven() {
        assertEquals(new Money(2, "EUR"), new Money(25, "EUR").times(new BigDecimal("0.1")));
        assertEquals(new Money(4, "EUR"), new Money(35, "EUR").times(new BigDecimal("0.1")));
    }
}
