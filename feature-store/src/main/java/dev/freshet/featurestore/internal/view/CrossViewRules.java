package dev.freshet.featurestore.internal.view;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.DefinitionProblems;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.FeatureViewParser.DeclaredView;

/**
 * The rules between views: view names are unique in a file, and feature names are unique among the views of one
 * entity path (those of the file and those registered), since serving merges the features of an entity's views.
 */
final class CrossViewRules {
    private CrossViewRules() {
    }

    /** Adds a problem, at the declaration's path in the file, for each clash among {@code views} and with {@code registered}. */
    static void check(List<DeclaredView> views, List<FeatureView> registered, DefinitionProblems problems) {
        Map<String, String> viewNames = new HashMap<>();
        // entity path -> feature name -> where it is declared
        Map<String, Map<String, String>> features = new HashMap<>();
        for (FeatureView other : registered) {
            Map<String, String> names = features.computeIfAbsent(other.entityPath(), k -> new HashMap<>());
            featureNames(other).keySet().forEach(name -> names.putIfAbsent(name, "registered view '" + other.name()
                + "'"));
        }
        for (DeclaredView declared : views) {
            FeatureView view = declared.view();
            String at = declared.path().isEmpty() ? "" : declared.path().substring(0, declared.path().length() - 1);
            String previous = viewNames.putIfAbsent(view.name(), at);
            if (previous != null) {
                problems.add(DefinitionReader.child(at, "name"), "duplicate view name '" + view.name() + "' (also at "
                    + (previous.isEmpty() ? "the top" : previous) + ")");
                continue;
            }
            Map<String, String> names = features.computeIfAbsent(view.entityPath(), k -> new HashMap<>());
            for (Map.Entry<String, String> feature : featureNames(view).entrySet()) {
                String other = names.putIfAbsent(feature.getKey(), "view '" + view.name() + "'");
                if (other != null) {
                    problems.add(DefinitionReader.child(at, feature.getValue()), "feature '" + feature.getKey()
                        + "' is also defined by " + other + " of the same entity '" + view.entityPath()
                        + "'; serving merges the features of an entity's views, so rename one");
                }
            }
        }
    }

    /** Each feature name of a view and the path of its declaration within the view. */
    private static Map<String, String> featureNames(FeatureView view) {
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < view.fields().size(); i++) {
            if (view.fields().get(i).inputOnly()) {
                continue;
            }
            names.put(view.fields().get(i).name(), "fields[" + i + "].name");
        }
        for (int i = 0; i < view.aggregations().size(); i++) {
            names.put(view.aggregations().get(i).name(), "aggregations[" + i + "].name");
        }
        for (int i = 0; i < view.transforms().size(); i++) {
            names.put(view.transforms().get(i).name(), "transforms[" + i + "].name");
        }
        if (view.label() != null) {
            names.put(view.label().name(), "label.name");
        }
        return names;
    }
}
