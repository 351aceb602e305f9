package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecordKeysTest {
    @Test
    void aFeatureKeyRoundTripsEvenWhenTheEntityIdHasASlash() {
        String key = RecordKeys.featureKey("transactions", "card/17");
        assertThat(key).isEqualTo("transactions/card/17");
        assertThat(RecordKeys.parseFeatureKey(key))
            .contains(new RecordKeys.FeatureKey("transactions", "card/17"));
    }

    @Test
    void aKeyWithoutAViewOrAnEntityIsNotAFeatureKey() {
        assertThat(RecordKeys.parseFeatureKey("card-17")).isEmpty();
        assertThat(RecordKeys.parseFeatureKey("/card-17")).isEmpty();
        assertThat(RecordKeys.parseFeatureKey("transactions/")).isEmpty();
        assertThat(RecordKeys.parseFeatureKey(null)).isEmpty();
    }

    @Test
    void versionAndSchemaKeysNameTheModelFirst() {
        assertThat(RecordKeys.versionKey("fraud", 42)).isEqualTo("fraud/42");
        assertThat(RecordKeys.schemaKey("fraud", "3f2a")).isEqualTo("fraud/3f2a");
    }

    @Test
    void aVersionKeyParsesBackOnlyForItsOwnModel() {
        assertThat(RecordKeys.versionOf(RecordKeys.versionKey("fraud", 42), "fraud")).hasValue(42);
        assertThat(RecordKeys.versionOf("fraud/42", "fra")).isEmpty();
        assertThat(RecordKeys.versionOf("fraudster/42", "fraud")).isEmpty();
        assertThat(RecordKeys.versionOf("fraud/v42", "fraud")).isEmpty();
        assertThat(RecordKeys.versionOf("fraud/", "fraud")).isEmpty();
        assertThat(RecordKeys.versionOf(null, "fraud")).isEmpty();
    }
}
