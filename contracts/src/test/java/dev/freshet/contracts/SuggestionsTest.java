package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SuggestionsTest {
    private static final List<String> KEYS = List.of("serving.port", "serving.admin.token", "serving.metrics.port",
        "bootstrap.servers", "topics.prefix");

    @Test
    void suggestsTheKeyADroppedLetterCameFrom() {
        assertThat(Suggestions.nearest("serving.prot", KEYS)).contains("serving.port");
        assertThat(Suggestions.nearest("serving.admin.tokn", KEYS)).contains("serving.admin.token");
        assertThat(Suggestions.nearest("bootstrap.server", KEYS)).contains("bootstrap.servers");
    }

    @Test
    void suggestsNothingForANameUnlikeAnyKnownOne() {
        assertThat(Suggestions.nearest("colour", KEYS)).isEmpty();
        assertThat(Suggestions.didYouMean("colour", KEYS)).isEmpty();
        assertThat(Suggestions.nearest("anything", List.of())).isEmpty();
    }

    @Test
    void ignoresCaseAndCountsASwapAsOneEdit() {
        assertThat(Suggestions.nearest("TOPICS.PREFIX", KEYS)).contains("topics.prefix");
        assertThat(Suggestions.distance("serving.port", "serving.prot")).isEqualTo(1);
        assertThat(Suggestions.didYouMean("topics.perfix", KEYS)).isEqualTo("; did you mean 'topics.prefix'?");
    }
}
