"""Every word of the report, per language.

The report goes to people who sign it (a data protection officer), often in French: no label,
heading or sentence is written in the template itself. ``STRINGS`` holds the interface words,
``METRICS`` the name and a one-line meaning of each metric, ``CHOICES`` the declared
privacy-impact values. Both languages must have the same keys (a test checks it), so a missing
translation fails loudly instead of printing a key or an English word in a French report.
"""

from __future__ import annotations

from typing import NamedTuple

LANGUAGES = ("en", "fr")


class MetricText(NamedTuple):
    label: str
    meaning: str


STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "product": "open-avatars",
        "title_basic": "Anonymization report",
        "title_pia": "Privacy impact assessment",
        "subtitle_pia": "Anonymization by the avatar method",
        "generated": "Generated on {date} by open-avatars {version}.",
        "page": "Page",
        "page_of": "of",
        "section_context": "The run",
        "run_name": "Run name",
        "report_date": "Report date",
        "software_version": "Software version",
        "seed": "Random seed used",
        "tables": "Tables",
        "table": "Table",
        "rows": "Rows",
        "columns": "Columns",
        "variables": "Variables",
        "set_aside": "Set aside (identifiers, dropped columns)",
        "identifying": "Identifying columns (detected at upload) and what the run did",
        "identifying_entry": "{column} ({role}): {treatment}",
        "formulas": "Text a spreadsheet would run as a formula",
        "formulas_note": "{cells} avatar text cell(s) begin with =, +, -, @, a tab or a "
        "carriage return ({columns}). Opened in a spreadsheet, such a cell can run as a "
        "formula (send data away, start a program). The avatars file is kept as the server "
        "wrote it, since the release manifest identifies it by its hash: the avatars command "
        "line writes a copy beside it (NAME.spreadsheet-safe.csv), and the client's download "
        "the file it saves, that put an apostrophe in front of each; open such a copy, or "
        "treat a CSV taken another way the same, before opening it in a spreadsheet.",
        "treatment_none": "nothing (a dataset uploaded before roles were detected)",
        "treatment_key": "declared a key, set aside",
        "treatment_drop": "dropped",
        "treatment_pseudonymized": "pseudonymized ({detail})",
        "treatment_keep": "kept ({detail})",
        "parameters_title": "Avatarization parameters: {table}",
        "parameter": "Parameter",
        "setting": "Setting",
        "k": "k (neighbours mixed into each avatar)",
        "ncp": "Projection axes used (ncp)",
        "categorical_reduction": "Categorical reduction",
        "column_weights": "Column weights",
        "imputation": "Imputation of missing values",
        "excluded_variables": "Variables kept out of the avatarization",
        "default": "default",
        "yes": "yes",
        "no": "no",
        "none": "none",
        "modality_missing": "missing",
        "modality_other": "other",
        "all_weights_one": "all 1",
        "not_available": "not available",
        "section_pia": "Privacy impact",
        "pia_intro": (
            "What the data is and who receives the avatars, as declared for this run. These "
            "facts frame how the metrics below should be judged: data shared publicly or "
            "sensitive data call for stricter margins than data kept for internal use."
        ),
        "data_recipient": "Data recipient",
        "data_type": "Data type",
        "data_subject": "Data subjects",
        "sensitivity_level": "Sensitivity level",
        "section_privacy": "Privacy metrics: {table}",
        "attacks_title": "Attacks on the avatars: {table}",
        "attacks_intro": (
            "Distances do not say what an attacker can do; these attacks do. Singling out, "
            "linkability and inference are measured on an audit release (the same parameters "
            "on a random share of the originals) against originals held out of it: each risk "
            "is how much more often the attack succeeds on people in the data than on people "
            "who were not, with its 95 % interval. The linkage attack holds one real record "
            "and looks for its avatar; the reconstruction attack rebuilds records from the "
            "avatars alone."
        ),
        "attacks_audit": (
            "Audit release: {train} originals avatarized with the run's parameters, {control} "
            "held out (seed {seed})."
        ),
        "attacks_audit_sampled": (
            "Audit release: {train} originals avatarized with the run's parameters, {control} "
            "held out, drawn from the table's {rows} rows (seed {seed})."
        ),
        "attacks_not_computed": "Not computed: {reason}",
        "attacks_audit_persons": (
            "The audit holds out whole persons, the rows of {persons}: {held_out} of them held "
            "out with all their rows, {kept} avatarized with all theirs."
        ),
        "attacks_audit_neither": (
            "{neither} rows of this table belong to kept and held-out persons at once: they "
            "are on neither side."
        ),
        "series_attacks_title": "Attacks on {table} (its persons with their series)",
        "attacks_interval": "{value} [{low}, {high}]",
        "attacks_linkage_detail": "top 5: {top5}; chance: {chance1} (top 1), {chance5} (top 5)",
        "attacks_reconstruction_detail": (
            "on the released avatars: {reconstructed} of {candidates} candidate records rebuild "
            "an original (precision {precision}, recall {recall}; records drawn column by "
            "column: recall {chance})"
        ),
        "attacks_records": (
            "Originals at risk: {at_risk} of {n} ({worst} with at most one avatar closer than "
            "their own, {linked} linked to their avatar at top 1, {beyond} rebuilt by the "
            "reconstruction attack and by no record drawn column by column; the attack "
            "rebuilds {rebuilt} in all, such random records about {chance}). No record is "
            "shown."
        ),
        "attacks_remedies": "What would cover them:",
        "attacks_inference_detail": "worst secret column(s): {column}",
        "privacy_intro": (
            "How hard it is to single out an individual of the original data among the "
            "avatars. Each metric has a target; the avatars are judged on the originals "
            "themselves, with the link between each original and its avatar that only the "
            "server keeps."
        ),
        "metric": "Metric",
        "value": "Value",
        "target": "Target",
        "result": "Result",
        "met": "met",
        "not_met": "not met",
        "no_target": "no target",
        "not_computed": "not computed",
        "section_signal": "Utility metrics: {table}",
        "signal_intro": (
            "How well the avatars keep the statistical properties of the original data: the "
            "distribution of each variable and the relations between variables."
        ),
        "per_variable": "Per variable: {table}",
        "variable": "Variable",
        "kind": "Type",
        "hellinger": "Hellinger distance",
        "original": "Original",
        "avatars": "Avatars",
        "per_variable_note": (
            "Original and avatars: mean (standard deviation) of a number, most frequent "
            "value (its share) of a category. The Hellinger distance goes from 0 (same "
            "distribution) to 1."
        ),
        "section_distributions": "Distributions: {table}",
        "distributions_intro": (
            "Each panel compares the distribution of one variable in the original data "
            "(blue, filled) and in the avatars (orange line): the closer the two shapes, the "
            "better the variable is kept."
        ),
        "distributions_shown": (
            "{shown} of {total} variables are shown, in table order (the limit is the run's "
            "max_distribution_plots setting)."
        ),
        "distributions_none": "No distribution plot: max_distribution_plots is 0.",
        "section_correlations": "Correlations: {table}",
        "correlations_intro": (
            "Association between each pair of variables, in the original data and in the "
            "avatars: Pearson correlation between two numbers (from −1 to 1), correlation "
            "ratio between a number and a category and Cramér's V between two categories "
            "(both from 0 to 1). The difference map shows what the avatarization changed: "
            "cells near 0 mean that the relation is kept."
        ),
        "sampled_note": "Estimated on a sample of {rows} rows of each table.",
        "section_projection": "Projection: {table}",
        "projection_intro": (
            "Originals and avatars on the first two axes of the projection fitted on the "
            "original data; together these axes carry {share} of its variance. Avatars that "
            "cover the same cloud as the originals keep the structure of the data; the method "
            "builds each avatar from several neighbours, so avatars do not sit on top of "
            "individual originals."
        ),
        "projection_intro_plain": (
            "Originals and avatars on the first two axes of the projection fitted on the "
            "original data."
        ),
        "missing_data": "Not available for this table: the job that computes it ran on an "
        "older version of the server.",
        "section_verdict": "Privacy verdict",
        "verdict_pass": "Table {table}: the avatars may be shared (no reason to refuse).",
        "verdict_fail": "Table {table}: the avatars must not be shared as they are.",
        "to_be_completed": "to be completed",
        "section_approval": "Approval",
        "approval_intro": (
            "For the person who decides whether the avatars may be released to the data "
            "recipient above, after reading this report. What is marked \u201cto be "
            "completed\u201d is filled in by hand before signing."
        ),
        "approver_name": "Name",
        "approver_role": "Role",
        "approver_organisation": "Organisation",
        "approver_date": "Date",
        "decision": "Decision",
        "decision_approved": "release approved",
        "decision_refused": "release refused",
        "signature": "Signature",
        "verdict_what_to_do": "What to do:",
        "verdict_metric_reason": "{label}: {value} (target {target})",
        "verdict_view_label": "{label} ({computation}, persons of {reference})",
        "verdict_sensitive_link_reason": (
            "link {link} re-attaches each avatar child to the avatar of its original parent: "
            "the released keys copy the original links (how many children each person has, "
            "which rows belong to the same person)"
        ),
        "remedy_sensitive_link": (
            "use linear_sum_assignment or minimum_distance_assignment for this link"
        ),
        "verdict_verbatim_reason": (
            "column {column}: {count} of {rows} avatars carry a value that only one original holds"
        ),
        "verdict_row_order_reason": (
            "excluded variables ({variables}) are put back in row order: each value stays on "
            "its own person's avatar, not anonymized"
        ),
        "verdict_kept_as_is_reason": (
            "column {column} identifies people by itself and was kept as is: the risk was "
            "acknowledged by the run's author"
        ),
        "remedy_raise_k": "raise k (each avatar then mixes more records)",
        "remedy_row_direct_match_protection": (
            "drop, pseudonymize or group the columns that single rows out, or raise k"
        ),
        "remedy_categorical_hidden_rate": "group rare categories (keep grouped) or raise k",
        "remedy_correlation_protection_rate": (
            "group or drop the variables an attacker may know (known_variables), or raise k"
        ),
        "remedy_inference_continuous": "raise k, or drop the target from the shared table",
        "remedy_inference_categorical": (
            "raise k, or drop or group the target in the shared table"
        ),
        "remedy_column": "drop, pseudonymize or group column {column} (keep grouped)",
        "remedy_row_order": (
            "use replacement_strategy coordinate_similarity, or drop or pseudonymize them"
        ),
        "grouping_detail": (
            "{kept} of {values} values kept, {share} of rows pooled as \u201c(other)\u201d"
        ),
        "hellinger_kept_but": (
            "The distributions are close overall (mean Hellinger distance {value}; target: "
            "below 0.1), but not for every variable: {columns}."
        ),
        "lost_grouped": (
            "{column} was kept grouped: only {kept} of its {values} values remain, "
            "{share} of rows became \u201c(other)\u201d"
        ),
        "lost_modalities": "{column} has {original} modalities in the original, {avatars} in "
        "the avatars",
        "marginals_sentence": (
            "Means, standard deviations and category shares match the originals closely by "
            "construction: each column's avatar values are drawn from the original column's "
            "distribution, so equal means and spreads are expected and reveal no individual; "
            "what protects people is that whole records are remixed, which the privacy "
            "metrics measure."
        ),
        "correlation_meaning": (
            "This means that which values go together within one record (the joint structure "
            "between columns) is kept less well than the target; each variable's own "
            "distribution, above, still holds. To keep more of it, try a lower k or a higher "
            "ncp (more projection axes), as long as the privacy targets stay met."
        ),
        "verdict_failed_conclusion": (
            "The privacy verdict fails for table {table} (first page): the avatars must not "
            "be shared until each failed item is fixed."
        ),
        "section_conclusion": "Conclusion",
        "section_manifest": "Release manifest",
        "manifest_intro": (
            "These facts tie the shared files to this evaluation. The whole manifest is a "
            "result of the run ({file}); anyone holding a file can compute its SHA-256 "
            "(for instance with avatars.verify_release) and find it below."
        ),
        "manifest_schema_version": "Manifest schema version",
        "manifest_set_name": "Run (set name)",
        "manifest_release_status": "Privacy verdict of the release",
        "manifest_seed": "Seed of the avatarization",
        "manifest_seed_drawn": "{seed} (drawn by the server: none was given)",
        "manifest_no_seed": "not recorded",
        "manifest_sensitive": " (sensitive: in the originals' row order, not to share)",
        "manifest_status_pass": "pass: every table's avatars may be shared",
        "manifest_status_fail": "fail: at least one table's avatars must not be shared as they are",
        "manifest_status_not_evaluated": "not evaluated (no privacy verdict)",
        "manifest_jobs": "Jobs",
        "manifest_software": "Software",
        "manifest_inputs": "Input datasets",
        "manifest_released": "Released files",
        "manifest_columns": "Columns: role and treatment",
        "manifest_table": "Table",
        "manifest_dataset": "Dataset id",
        "manifest_rows": "Rows",
        "manifest_column_count": "Columns",
        "manifest_file": "File",
        "manifest_size": "Bytes",
        "manifest_column": "Column",
        "manifest_role": "Role",
        "manifest_treatment": "Treatment",
        "privacy_all": "Table {table}: all {total} privacy targets are met.",
        "privacy_some": "Table {table}: {passed} of {total} privacy targets are met.",
        "privacy_failed": "Not met: {metrics}.",
        "privacy_not_computed": "Not computed for this table: {metrics} (reasons in the table).",
        "hidden_sentence": (
            "Someone who knows a person's original record and takes the avatar closest to it "
            "as that person's would be wrong for {hidden} of the individuals (hidden rate; "
            "target: above 90%)."
        ),
        "cloaking_sentence": (
            "For half of the individuals, {count} or more avatars are closer to them than "
            "their own avatar (local cloaking; target: above 5)."
        ),
        "hellinger_kept": (
            "The distribution of each variable is kept: the mean Hellinger distance is "
            "{value} (target: below 0.1)."
        ),
        "hellinger_lost": (
            "The distributions of the variables differ noticeably from the originals: the "
            "mean Hellinger distance is {value} (target: below 0.1)."
        ),
        "correlation_kept": (
            "The relations between variables are kept: the correlation difference ratio is "
            "{value}% (target: below {target}%)."
        ),
        "correlation_lost": (
            "The relations between variables are weakened: the correlation difference ratio "
            "is {value}% (target: below {target}%)."
        ),
        "advice_privacy": (
            "To raise the privacy metrics, avatarize again with a larger k: each avatar then "
            "mixes more neighbours, at some cost in utility."
        ),
        "advice_signal": (
            "To keep more of the statistics, avatarize again with a smaller k, as long as the "
            "privacy targets stay met."
        ),
        "overall_all": "Every privacy and utility target is met.",
        "caveat": (
            "These metrics measure how far the avatars are from the individuals they come "
            "from; they do not replace judging who receives the data and for what purpose."
        ),
        "section_relations": "Relations between tables",
        "relations_intro": (
            "Each link between two tables is measured on its own, originals against avatars: "
            "whether every avatar row still has a parent (integrity), how many rows of the "
            "child table each parent has (cardinality), and how the parent's columns relate "
            "to the child's once each child row is joined with its parent (cross-table "
            "association). A link redrawn at random keeps every table's columns but loses "
            "these relations."
        ),
        "relation_title": "{parent} \u2192 {child} (foreign key {key})",
        "relation_method": "Link method",
        "relation_sensitive": (
            "This link copies the original links: which rows share a parent, and how many "
            "children each parent has, are those of the originals. Share these avatars only "
            "where that is acceptable."
        ),
        "integrity": "Integrity",
        "integrity_ok": "Each of the {rows} avatar rows of {child} has an avatar parent in "
        "{parent}.",
        "integrity_failed": (
            "{count} of the {rows} avatar rows of {child} have no avatar parent in {parent}: "
            "the tables do not join on those rows."
        ),
        "cardinality": "Rows of {child} per row of {parent}",
        "cardinality_mean": "Mean",
        "cardinality_sd": "Standard deviation",
        "cardinality_max": "Maximum",
        "cardinality_childless": "Rows of {parent} without any",
        "cardinality_hellinger": (
            "Hellinger distance between the two distributions: {value} (0: the same distribution)."
        ),
        "cardinality_figure": "Children per parent",
        "cardinality_panel": "{child} per {parent}",
        "statistic": "Statistic",
        "association": "Cross-table association",
        "association_parent": "Column of {parent}",
        "association_child": "Column of {child}",
        "measure": "Measure",
        "difference": "Difference",
        "association_shown": "The {shown} most associated pairs of {total} are shown.",
        "association_mean": "Mean absolute difference over the {total} pairs: {value}.",
        "association_left_out": "Columns left out of the pairs (only the first {cap} of each "
        "table enter them): {columns}.",
        "association_sampled": "Measured on a sample of {rows} joined rows.",
        "association_none": "No pair of columns could be measured on this link.",
        "relation_privacy": "Privacy",
        "relation_privacy_text": (
            "Person-level hidden rate of {child} ({computation}, persons of {reference}): "
            "{value}. A row counts as found when the avatar nearest to it descends from the "
            "same person, even through another of that person's rows."
        ),
        "section_series": "Time series: {table} (persons of {parent})",
        "series_of": "{table} (series of {parent})",
        "series_intro": (
            "Each person of {parent} has one series in this table: points in time, each with "
            "its measured values. The series are not avatarized as rows of their own: each "
            "person's series is put on a common grid (time rescaled from 0 to 1 within it), "
            "summarised by a few numbers (its shape, length, start and duration), avatarized "
            "with that person's own columns, and rebuilt as rows from the avatar's numbers. "
            "Its people are those of {parent}: the privacy below is measured on them."
        ),
        "series_settings": "Settings in effect: {table}",
        "series_parent": "Persons' table",
        "series_time": "Time column",
        "series_values": "Value variables",
        "series_rows": "Rows",
        "series_rows_value": "{rows} original rows, {avatar_rows} avatar rows, {persons} persons",
        "series_projection": "Summary of each series (projection)",
        "series_fpca": "principal components of the curves (fpca), {nf} per variable",
        "series_grid": "Common grid",
        "series_grid_specified": "{points} points (specified)",
        "series_unalignment": "Rows rebuilt (unalignment)",
        "series_block_weight": "Weight of the series against the person's own columns",
        "series_privacy_title": "Privacy of the persons with their series: {table}",
        "series_privacy_intro": (
            "Measured on the persons of {parent}: each original person's own columns joined "
            "with the numbers that summarise their series, against each avatar person's "
            "columns joined with the same numbers computed from the released avatar series "
            "(through the grid and projection fitted on the originals). Someone who knows a "
            "person's record and their series is the attacker these metrics measure."
        ),
        "series_signal_title": "Utility of the series: {table}",
        "series_signal_intro": (
            "How close the avatar series are to the originals, per value variable. Point by "
            "point: at each point of the common grid, the Hellinger distance between the "
            "originals' and the avatars' values across persons (mean and standard deviation "
            "over the grid). Values over time: the same distance between the values the "
            "series take as measured, pooled in ten equal slices of the rescaled time (mean "
            "and standard deviation over the slices). 0: the same distribution; 1: disjoint."
        ),
        "series_avatars_value": "Avatars",
        "series_floor": "Floor",
        "series_floor_note": (
            "Floor: the same distance between two halves of the original persons, drawn at "
            "random (seeded). Even two samples of the same data are not at 0 with a few "
            "hundred persons; a value near its floor is that sampling noise, a value well "
            "above it is what the avatarization changed. These distances have no target."
        ),
        "series_raw_title": "A few series: {table}",
        "series_raw_intro": (
            "A few whole series of each side, drawn at random, as they were measured: "
            "originals in blue, avatars in orange. They show what one series looks like, not "
            "the distribution of all of them."
        ),
        "series_normalized_title": "All series on the common grid: {table}",
        "series_normalized_intro": (
            "Every series on the common grid (time rescaled from 0 to 1 within each series): "
            "at each point the median (line) and the band from the 10th to the 90th "
            "percentile (shaded) across persons, originals in blue, avatars in orange. Bands "
            "that overlap mean the avatars keep the level, the spread and the shape of the "
            "curves over time."
        ),
        "series_conclusion_variable": "{variable} {value} (floor {floor})",
        "series_conclusion_signal": (
            "Point by point, the avatar series are at a mean Hellinger distance from the "
            "originals of: {values}."
        ),
        "series_conclusion_meaning": (
            "The distances of the series have no target: each is given beside its floor, the "
            "same distance between two halves of the originals. Near its floor, the curves "
            "are kept as well as a sample of the originals would keep them; well above it, "
            "the avatars lost part of their level, spread or shape (the figures show where)."
        ),
    },
    "fr": {
        "product": "open-avatars",
        "title_basic": "Rapport d'anonymisation",
        "title_pia": "Analyse d'impact relative à la protection des données",
        "subtitle_pia": "Anonymisation par la méthode avatar",
        "generated": "Généré le {date} par open-avatars {version}.",
        "page": "Page",
        "page_of": "sur",
        "section_context": "L'exécution",
        "run_name": "Nom de l'exécution",
        "report_date": "Date du rapport",
        "software_version": "Version du logiciel",
        "seed": "Graine aléatoire utilisée",
        "tables": "Tables",
        "table": "Table",
        "rows": "Lignes",
        "columns": "Colonnes",
        "variables": "Variables",
        "set_aside": "Mises de côté (identifiants, colonnes écartées)",
        "identifying": "Colonnes identifiantes (détectées au chargement) et leur traitement",
        "identifying_entry": "{column} ({role}) : {treatment}",
        "formulas": "Texte qu'un tableur exécuterait comme une formule",
        "formulas_note": "{cells} cellule(s) de texte des avatars commencent par =, +, -, @, "
        "une tabulation ou un retour chariot ({columns}). Ouverte dans un tableur, une telle "
        "cellule peut s'exécuter comme une formule (envoyer des données, lancer un programme). "
        "Le fichier des avatars est gardé tel que le serveur l'a écrit, car le manifeste de "
        "diffusion l'identifie par son empreinte : la ligne de commande avatars écrit à côté "
        "une copie (NOM.spreadsheet-safe.csv), et le téléchargement du client le fichier qu'il "
        "enregistre, qui font précéder chacune d'une apostrophe ; ouvrez une telle copie, ou "
        "traitez de même un CSV obtenu autrement, avant de l'ouvrir dans un tableur.",
        "treatment_none": "aucun (jeu de données chargé avant la détection des rôles)",
        "treatment_key": "déclarée clé, mise de côté",
        "treatment_drop": "écartée",
        "treatment_pseudonymized": "pseudonymisée ({detail})",
        "treatment_keep": "conservée ({detail})",
        "parameters_title": "Paramètres d'avatarisation : {table}",
        "parameter": "Paramètre",
        "setting": "Valeur",
        "k": "k (voisins mélangés dans chaque avatar)",
        "ncp": "Axes de projection utilisés (ncp)",
        "categorical_reduction": "Réduction des variables catégorielles",
        "column_weights": "Poids des colonnes",
        "imputation": "Imputation des valeurs manquantes",
        "excluded_variables": "Variables tenues hors de l'avatarisation",
        "default": "par défaut",
        "yes": "oui",
        "no": "non",
        "none": "aucune",
        "modality_missing": "manquant",
        "modality_other": "autres",
        "all_weights_one": "tous à 1",
        "not_available": "non disponible",
        "section_pia": "Impact sur la vie privée",
        "pia_intro": (
            "La nature des données et le destinataire des avatars, tels que déclarés pour "
            "cette exécution. Ces éléments cadrent la lecture des métriques qui suivent : des "
            "données publiées ou sensibles demandent des marges plus strictes que des données "
            "gardées pour un usage interne."
        ),
        "data_recipient": "Destinataire des données",
        "data_type": "Type de données",
        "data_subject": "Personnes concernées",
        "sensitivity_level": "Niveau de sensibilité",
        "section_privacy": "Métriques de confidentialité : {table}",
        "attacks_title": "Attaques sur les avatars : {table}",
        "attacks_intro": (
            "Les distances ne disent pas ce qu'un attaquant peut faire ; ces attaques le "
            "disent. L'isolement, la liaison et l'inférence sont mesurés sur une publication "
            "d'audit (les mêmes paramètres sur une part aléatoire des originaux) contre des "
            "originaux tenus à l'écart : chaque risque dit combien de fois plus l'attaque "
            "réussit sur les personnes présentes dans les données que sur les autres, avec son "
            "intervalle à 95 %. L'attaque par liaison part d'un enregistrement réel et cherche "
            "son avatar ; l'attaque par reconstruction reconstitue des enregistrements à partir "
            "des seuls avatars."
        ),
        "attacks_audit": (
            "Publication d'audit : {train} originaux avatarisés avec les paramètres du "
            "traitement, {control} tenus à l'écart (graine {seed})."
        ),
        "attacks_audit_sampled": (
            "Publication d'audit : {train} originaux avatarisés avec les paramètres du "
            "traitement, {control} tenus à l'écart, tirés des {rows} lignes de la table "
            "(graine {seed})."
        ),
        "attacks_not_computed": "Non calculé : {reason}",
        "attacks_audit_persons": (
            "L'audit tient à l'écart des personnes entières, les lignes de {persons} : "
            "{held_out} tenues à l'écart avec toutes leurs lignes, {kept} avatarisées avec "
            "toutes les leurs."
        ),
        "attacks_audit_neither": (
            "{neither} lignes de cette table appartiennent à la fois à des personnes gardées "
            "et tenues à l'écart : elles ne sont d'aucun côté."
        ),
        "series_attacks_title": "Attaques sur {table} (ses personnes avec leurs séries)",
        "attacks_interval": "{value} [{low} ; {high}]",
        "attacks_linkage_detail": (
            "top 5 : {top5} ; hasard : {chance1} (top 1), {chance5} (top 5)"
        ),
        "attacks_reconstruction_detail": (
            "sur les avatars publiés : {reconstructed} enregistrements proposés sur "
            "{candidates} reconstituent un original (précision {precision}, rappel {recall} ; "
            "enregistrements tirés colonne par colonne : rappel {chance})"
        ),
        "attacks_records": (
            "Originaux à risque : {at_risk} sur {n} ({worst} avec au plus un avatar plus "
            "proche que le leur, {linked} reliés à leur avatar en premier rang, {beyond} "
            "reconstitués par l'attaque et par aucun enregistrement tiré colonne par colonne ; "
            "l'attaque en reconstitue {rebuilt} en tout, de tels enregistrements aléatoires "
            "environ {chance}). Aucun enregistrement n'est montré."
        ),
        "attacks_remedies": "Ce qui les couvrirait :",
        "attacks_inference_detail": "secret(s) le(s) plus exposé(s) : {column}",
        "privacy_intro": (
            "La difficulté à isoler un individu des données originales parmi les avatars. "
            "Chaque métrique a une cible ; les avatars sont jugés sur les originaux eux-mêmes, "
            "grâce au lien entre chaque original et son avatar que seul le serveur conserve."
        ),
        "metric": "Métrique",
        "value": "Valeur",
        "target": "Cible",
        "result": "Résultat",
        "met": "atteinte",
        "not_met": "non atteinte",
        "no_target": "sans cible",
        "not_computed": "non calculée",
        "section_signal": "Métriques d'utilité : {table}",
        "signal_intro": (
            "La fidélité des avatars aux propriétés statistiques des données originales : la "
            "distribution de chaque variable et les relations entre variables."
        ),
        "per_variable": "Par variable : {table}",
        "variable": "Variable",
        "kind": "Type",
        "hellinger": "Distance de Hellinger",
        "original": "Originales",
        "avatars": "Avatars",
        "per_variable_note": (
            "Originales et avatars : moyenne (écart type) d'un nombre, valeur la plus "
            "fréquente (sa part) d'une catégorie. La distance de Hellinger va de 0 (même "
            "distribution) à 1."
        ),
        "section_distributions": "Distributions : {table}",
        "distributions_intro": (
            "Chaque graphique compare la distribution d'une variable dans les données "
            "originales (en bleu, rempli) et dans les avatars (trait orange) : plus les deux "
            "formes sont proches, mieux la variable est conservée."
        ),
        "distributions_shown": (
            "{shown} variables sur {total} sont affichées, dans l'ordre de la table (la "
            "limite est le réglage max_distribution_plots de l'exécution)."
        ),
        "distributions_none": "Aucune distribution affichée : max_distribution_plots vaut 0.",
        "section_correlations": "Corrélations : {table}",
        "correlations_intro": (
            "Association entre chaque paire de variables, dans les données originales et dans "
            "les avatars : corrélation de Pearson entre deux nombres (de −1 à 1), rapport de "
            "corrélation entre un nombre et une catégorie et V de Cramér entre deux catégories "
            "(tous deux de 0 à 1). La carte des différences montre ce que l'avatarisation a "
            "changé : une case proche de 0 signifie que la relation est conservée."
        ),
        "sampled_note": "Estimé sur un échantillon de {rows} lignes de chaque table.",
        "section_projection": "Projection : {table}",
        "projection_intro": (
            "Originaux et avatars sur les deux premiers axes de la projection ajustée sur les "
            "données originales ; ces axes portent ensemble {share} de leur variance. Des "
            "avatars qui couvrent le même nuage que les originaux en conservent la structure ; "
            "la méthode construit chaque avatar à partir de plusieurs voisins, si bien que les "
            "avatars ne se superposent pas aux individus originaux."
        ),
        "projection_intro_plain": (
            "Originaux et avatars sur les deux premiers axes de la projection ajustée sur les "
            "données originales."
        ),
        "missing_data": "Non disponible pour cette table : le traitement qui le calcule a "
        "tourné sur une version plus ancienne du serveur.",
        "section_verdict": "Verdict de confidentialité",
        "verdict_pass": "Table {table} : les avatars peuvent être partagés (aucun motif de refus).",
        "verdict_fail": "Table {table} : les avatars ne doivent pas être partagés en l'état.",
        "to_be_completed": "à compléter",
        "section_approval": "Approbation",
        "approval_intro": (
            "Pour la personne qui décide, après lecture de ce rapport, si les avatars peuvent "
            "être transmis au destinataire indiqué. Ce qui est marqué \u00ab\u00a0à "
            "compléter\u00a0\u00bb se remplit à la main avant signature."
        ),
        "approver_name": "Nom",
        "approver_role": "Fonction",
        "approver_organisation": "Organisme",
        "approver_date": "Date",
        "decision": "Décision",
        "decision_approved": "transmission approuvée",
        "decision_refused": "transmission refusée",
        "signature": "Signature",
        "verdict_what_to_do": "Que faire :",
        "verdict_metric_reason": "{label} : {value} (cible {target})",
        "verdict_view_label": "{label} ({computation}, personnes de {reference})",
        "verdict_sensitive_link_reason": (
            "le lien {link} rattache chaque enfant avatar à l'avatar de son parent d'origine : "
            "les clés publiées recopient les liens d'origine (le nombre d'enfants de chaque "
            "personne, les lignes qui appartiennent à la même personne)"
        ),
        "remedy_sensitive_link": (
            "utiliser linear_sum_assignment ou minimum_distance_assignment pour ce lien"
        ),
        "verdict_verbatim_reason": (
            "colonne {column} : {count} avatars sur {rows} portent une valeur qu'un seul "
            "original possède"
        ),
        "verdict_row_order_reason": (
            "les variables exclues ({variables}) sont rattachées dans l'ordre des lignes : "
            "chaque valeur reste sur l'avatar de sa propre personne, sans anonymisation"
        ),
        "verdict_kept_as_is_reason": (
            "la colonne {column} identifie à elle seule des personnes et a été conservée "
            "telle quelle : l'auteur de l'exécution a accepté ce risque"
        ),
        "remedy_raise_k": "augmenter k (chaque avatar mélange alors davantage d'individus)",
        "remedy_row_direct_match_protection": (
            "écarter, pseudonymiser ou regrouper les colonnes qui isolent des lignes, ou "
            "augmenter k"
        ),
        "remedy_categorical_hidden_rate": (
            "regrouper les catégories rares (keep grouped) ou augmenter k"
        ),
        "remedy_correlation_protection_rate": (
            "regrouper ou écarter les variables qu'un attaquant peut connaître "
            "(known_variables), ou augmenter k"
        ),
        "remedy_inference_continuous": (
            "augmenter k, ou retirer la variable cible de la table partagée"
        ),
        "remedy_inference_categorical": (
            "augmenter k, ou retirer ou regrouper la variable cible dans la table partagée"
        ),
        "remedy_column": "écarter, pseudonymiser ou regrouper la colonne {column} (keep grouped)",
        "remedy_row_order": (
            "utiliser replacement_strategy coordinate_similarity, ou les écarter ou les "
            "pseudonymiser"
        ),
        "grouping_detail": (
            "{kept} valeurs conservées sur {values}, {share} des lignes regroupées en "
            "\u00ab\u00a0(other)\u00a0\u00bb"
        ),
        "hellinger_kept_but": (
            "Les distributions sont proches dans l'ensemble (distance de Hellinger moyenne "
            "{value} ; cible : moins de 0,1), mais pas pour chaque variable : {columns}."
        ),
        "lost_grouped": (
            "{column} a été conservée regroupée : il ne reste que {kept} de ses {values} "
            "valeurs, {share} des lignes sont devenues \u00ab\u00a0(other)\u00a0\u00bb"
        ),
        "lost_modalities": "{column} compte {original} modalités dans les originales, "
        "{avatars} dans les avatars",
        "marginals_sentence": (
            "Moyennes, écarts types et parts des catégories sont très proches des originaux "
            "par construction : les valeurs des avatars de chaque colonne sont tirées de la "
            "distribution de la colonne originale, si bien que des moyennes et dispersions "
            "égales sont attendues et ne révèlent aucun individu ; ce qui protège les "
            "personnes est le remaniement des enregistrements entiers, que mesurent les "
            "métriques de confidentialité."
        ),
        "correlation_meaning": (
            "Cela signifie que les valeurs qui vont ensemble dans un même enregistrement (la "
            "structure conjointe entre colonnes) sont moins bien conservées que la cible ; la "
            "distribution propre de chaque variable, ci-dessus, reste valable. Pour en "
            "conserver davantage, essayer un k plus petit ou un ncp plus grand (plus d'axes "
            "de projection), tant que les cibles de confidentialité restent atteintes."
        ),
        "verdict_failed_conclusion": (
            "Le verdict de confidentialité est négatif pour la table {table} (première page) : "
            "les avatars ne doivent pas être partagés avant que chaque point en échec soit "
            "corrigé."
        ),
        "section_conclusion": "Conclusion",
        "section_manifest": "Manifeste de diffusion",
        "manifest_intro": (
            "Ces éléments relient les fichiers diffusés à cette évaluation. Le manifeste complet "
            "est un résultat du traitement ({file}) ; qui détient un fichier peut calculer son "
            "SHA-256 (par exemple avec avatars.verify_release) et le retrouver ci-dessous."
        ),
        "manifest_schema_version": "Version du schéma du manifeste",
        "manifest_set_name": "Traitement (set name)",
        "manifest_release_status": "Verdict de confidentialité de la diffusion",
        "manifest_seed": "Graine de l'avatarisation",
        "manifest_seed_drawn": "{seed} (tirée par le serveur : aucune n'était donnée)",
        "manifest_no_seed": "non enregistrée",
        "manifest_sensitive": " (sensible : dans l'ordre des originaux, à ne pas partager)",
        "manifest_status_pass": "favorable : les avatars de chaque table peuvent être partagés",
        "manifest_status_fail": (
            "défavorable : les avatars d'au moins une table ne doivent pas être partagés en l'état"
        ),
        "manifest_status_not_evaluated": "non évalué (pas de verdict de confidentialité)",
        "manifest_jobs": "Tâches",
        "manifest_software": "Logiciels",
        "manifest_inputs": "Jeux de données d'entrée",
        "manifest_released": "Fichiers diffusés",
        "manifest_columns": "Colonnes : rôle et traitement",
        "manifest_table": "Table",
        "manifest_dataset": "Identifiant du jeu de données",
        "manifest_rows": "Lignes",
        "manifest_column_count": "Colonnes",
        "manifest_file": "Fichier",
        "manifest_size": "Octets",
        "manifest_column": "Colonne",
        "manifest_role": "Rôle",
        "manifest_treatment": "Traitement",
        "privacy_all": "Table {table} : les {total} cibles de confidentialité sont atteintes.",
        "privacy_some": (
            "Table {table} : {passed} cibles de confidentialité sur {total} sont atteintes."
        ),
        "privacy_failed": "Non atteintes : {metrics}.",
        "privacy_not_computed": (
            "Non calculées pour cette table : {metrics} (motifs dans le tableau)."
        ),
        "hidden_sentence": (
            "Une personne qui connaît l'enregistrement original d'un individu et lui attribue "
            "l'avatar le plus proche se tromperait pour {hidden} des individus (taux de "
            "dissimulation ; cible : plus de 90 %)."
        ),
        "cloaking_sentence": (
            "Pour la moitié des individus, {count} avatars ou plus sont plus proches d'eux "
            "que leur propre avatar (camouflage local ; cible : plus de 5)."
        ),
        "hellinger_kept": (
            "La distribution de chaque variable est conservée : la distance de Hellinger "
            "moyenne vaut {value} (cible : moins de 0,1)."
        ),
        "hellinger_lost": (
            "Les distributions des variables s'écartent nettement des originales : la distance "
            "de Hellinger moyenne vaut {value} (cible : moins de 0,1)."
        ),
        "correlation_kept": (
            "Les relations entre variables sont conservées : le ratio de différence des "
            "corrélations vaut {value} % (cible : moins de {target} %)."
        ),
        "correlation_lost": (
            "Les relations entre variables sont affaiblies : le ratio de différence des "
            "corrélations vaut {value} % (cible : moins de {target} %)."
        ),
        "advice_privacy": (
            "Pour améliorer les métriques de confidentialité, relancer l'avatarisation avec "
            "un k plus grand : chaque avatar mélange alors davantage de voisins, au prix d'un "
            "peu d'utilité."
        ),
        "advice_signal": (
            "Pour conserver davantage les statistiques, relancer l'avatarisation avec un k "
            "plus petit, tant que les cibles de confidentialité restent atteintes."
        ),
        "overall_all": "Toutes les cibles de confidentialité et d'utilité sont atteintes.",
        "caveat": (
            "Ces métriques mesurent l'éloignement des avatars par rapport aux individus dont "
            "ils proviennent ; elles ne dispensent pas de juger à qui les données sont "
            "transmises et dans quel but."
        ),
        "section_relations": "Relations entre les tables",
        "relations_intro": (
            "Chaque lien entre deux tables est mesuré à part, originaux contre avatars : "
            "chaque ligne d'avatar a-t-elle encore un parent (intégrité), combien de lignes "
            "de la table enfant chaque parent a-t-il (cardinalité), et comment les colonnes "
            "du parent se rapportent à celles de l'enfant une fois chaque ligne enfant jointe "
            "à son parent (association entre tables). Un lien retracé au hasard garde les "
            "colonnes de chaque table mais perd ces relations."
        ),
        "relation_title": "{parent} \u2192 {child} (clé étrangère {key})",
        "relation_method": "Méthode de rattachement",
        "relation_sensitive": (
            "Ce lien recopie les liens d'origine : les lignes qui partagent un parent, et le "
            "nombre d'enfants de chaque parent, sont ceux des originaux. Ne partagez ces "
            "avatars que là où c'est acceptable."
        ),
        "integrity": "Intégrité",
        "integrity_ok": "Chacune des {rows} lignes d'avatars de {child} a un parent avatar "
        "dans {parent}.",
        "integrity_failed": (
            "{count} des {rows} lignes d'avatars de {child} n'ont pas de parent avatar dans "
            "{parent} : les tables ne se joignent pas sur ces lignes."
        ),
        "cardinality": "Lignes de {child} par ligne de {parent}",
        "cardinality_mean": "Moyenne",
        "cardinality_sd": "Écart type",
        "cardinality_max": "Maximum",
        "cardinality_childless": "Lignes de {parent} qui n'en ont aucune",
        "cardinality_hellinger": (
            "Distance de Hellinger entre les deux distributions : {value} (0 : la même "
            "distribution)."
        ),
        "cardinality_figure": "Enfants par parent",
        "cardinality_panel": "{child} par {parent}",
        "statistic": "Statistique",
        "association": "Association entre tables",
        "association_parent": "Colonne de {parent}",
        "association_child": "Colonne de {child}",
        "measure": "Mesure",
        "difference": "Écart",
        "association_shown": "Les {shown} paires les plus associées sur {total} sont montrées.",
        "association_mean": "Écart absolu moyen sur les {total} paires : {value}.",
        "association_left_out": "Colonnes laissées hors des paires (seules les {cap} "
        "premières de chaque table y entrent) : {columns}.",
        "association_sampled": "Mesurée sur un échantillon de {rows} lignes jointes.",
        "association_none": "Aucune paire de colonnes n'a pu être mesurée sur ce lien.",
        "relation_privacy": "Confidentialité",
        "relation_privacy_text": (
            "Taux de dissimulation par personne de {child} ({computation}, personnes de "
            "{reference}) : {value}. Une ligne compte comme retrouvée quand l'avatar le plus "
            "proche descend de la même personne, même par une autre ligne de cette personne."
        ),
        "section_series": "Séries temporelles : {table} (personnes de {parent})",
        "series_of": "{table} (séries de {parent})",
        "series_intro": (
            "Chaque personne de {parent} a une série dans cette table : des instants, chacun "
            "avec ses valeurs mesurées. Les séries ne sont pas avatarisées comme des lignes à "
            "part : la série de chaque personne est placée sur une grille commune (le temps "
            "ramené de 0 à 1 en son sein), résumée par quelques nombres (sa forme, sa "
            "longueur, son début et sa durée), avatarisée avec les colonnes propres de la "
            "personne, puis reconstruite en lignes à partir des nombres de l'avatar. Ses "
            "personnes sont celles de {parent} : la confidentialité ci-dessous est mesurée sur "
            "elles."
        ),
        "series_settings": "Paramètres appliqués : {table}",
        "series_parent": "Table des personnes",
        "series_time": "Colonne du temps",
        "series_values": "Variables mesurées",
        "series_rows": "Lignes",
        "series_rows_value": (
            "{rows} lignes originales, {avatar_rows} lignes d'avatars, {persons} personnes"
        ),
        "series_projection": "Résumé de chaque série (projection)",
        "series_fpca": "composantes principales des courbes (fpca), {nf} par variable",
        "series_grid": "Grille commune",
        "series_grid_specified": "{points} points (fixés)",
        "series_unalignment": "Reconstruction des lignes (désalignement)",
        "series_block_weight": "Poids des séries face aux colonnes propres de la personne",
        "series_privacy_title": "Confidentialité des personnes avec leurs séries : {table}",
        "series_privacy_intro": (
            "Mesurée sur les personnes de {parent} : les colonnes propres de chaque personne "
            "originale jointes aux nombres qui résument sa série, face aux colonnes de chaque "
            "personne avatar jointes aux mêmes nombres calculés sur les séries d'avatars "
            "publiées (par la grille et la projection ajustées sur les originaux). "
            "L'attaquant que mesurent ces métriques connaît la fiche d'une personne et sa série."
        ),
        "series_signal_title": "Utilité des séries : {table}",
        "series_signal_intro": (
            "La proximité des séries d'avatars avec les originales, par variable mesurée. "
            "Point par point : en chaque point de la grille commune, la distance de Hellinger "
            "entre les valeurs des originaux et celles des avatars sur l'ensemble des "
            "personnes (moyenne et écart type sur la grille). Valeurs au fil du temps : la "
            "même distance entre les valeurs prises par les séries telles que mesurées, "
            "regroupées en dix tranches égales du temps ramené de 0 à 1 (moyenne et écart type "
            "sur les tranches). 0 : la même distribution ; 1 : disjointes."
        ),
        "series_avatars_value": "Avatars",
        "series_floor": "Plancher",
        "series_floor_note": (
            "Plancher : la même distance entre deux moitiés des personnes originales, tirées "
            "au hasard (graine fixée). Même deux échantillons des mêmes données ne sont pas à "
            "0 avec quelques centaines de personnes ; une valeur proche de son plancher est ce "
            "bruit d'échantillonnage, une valeur bien au-dessus est ce que l'avatarisation a "
            "changé. Ces distances n'ont pas de cible."
        ),
        "series_raw_title": "Quelques séries : {table}",
        "series_raw_intro": (
            "Quelques séries entières de chaque côté, tirées au hasard, telles que mesurées : "
            "originales en bleu, avatars en orange. Elles montrent à quoi ressemble une série, "
            "pas la distribution de toutes."
        ),
        "series_normalized_title": "Toutes les séries sur la grille commune : {table}",
        "series_normalized_intro": (
            "Toutes les séries sur la grille commune (le temps ramené de 0 à 1 dans chaque "
            "série) : en chaque point la médiane (trait) et la bande du 10e au 90e centile "
            "(ombrée) sur l'ensemble des personnes, originaux en bleu, avatars en orange. Des "
            "bandes qui se recouvrent signifient que les avatars gardent le niveau, la "
            "dispersion et la forme des courbes au fil du temps."
        ),
        "series_conclusion_variable": "{variable} {value} (plancher {floor})",
        "series_conclusion_signal": (
            "Point par point, les séries d'avatars sont à une distance de Hellinger moyenne "
            "des originales de : {values}."
        ),
        "series_conclusion_meaning": (
            "Les distances des séries n'ont pas de cible : chacune est donnée à côté de son "
            "plancher, la même distance entre deux moitiés des originaux. Près de son "
            "plancher, les courbes sont aussi bien gardées qu'un échantillon des originaux les "
            "garderait ; bien au-dessus, les avatars ont perdu une part de leur niveau, de "
            "leur dispersion ou de leur forme (les figures montrent où)."
        ),
    },
}

METRICS: dict[str, dict[str, MetricText]] = {
    "en": {
        "attack_singling_out": MetricText(
            "Singling-out risk",
            "Excess share of people an attacker singles out with a few of their values, over "
            "people not in the data.",
        ),
        "attack_linkability": MetricText(
            "Linkability risk",
            "Excess share of people whose two halves of columns an attacker links back "
            "together through the avatars.",
        ),
        "attack_inference": MetricText(
            "Inference risk",
            "Excess share of people whose secret column an attacker guesses from their other "
            "columns (the worst column).",
        ),
        "attack_linkage": MetricText(
            "Linkage attack (top 1)",
            "Share of people whose own avatar is the closest to their real record.",
        ),
        "attack_reconstruction": MetricText(
            "Reconstruction attack (recall)",
            "Share of people rebuilt from the avatars alone, closer than their nearest other "
            "original.",
        ),
        "hidden_rate": MetricText(
            "Hidden rate",
            "Share of individuals whose closest avatar is not their own (%).",
        ),
        "local_cloaking": MetricText(
            "Local cloaking",
            "Median number of avatars closer to an individual than their own avatar.",
        ),
        "distance_to_closest": MetricText(
            "Distance to closest",
            "Median distance from an avatar to the closest original, in the projected space.",
        ),
        "closest_distances_ratio": MetricText(
            "Closest distances ratio",
            "Median ratio of an avatar's distance to its closest original over the distance "
            "to the second closest: near 1, no original stands out.",
        ),
        "column_direct_match_protection": MetricText(
            "Column direct match protection",
            "Share of the values unique to one individual (in the most exposed column) that "
            "no avatar repeats exactly (%).",
        ),
        "categorical_hidden_rate": MetricText(
            "Categorical hidden rate",
            "Hidden rate when the attacker compares the categorical variables only (%).",
        ),
        "row_direct_match_protection": MetricText(
            "Row direct match protection",
            "Share of the rows unique in the original data that no avatar reproduces exactly (%).",
        ),
        "correlation_protection_rate": MetricText(
            "Correlation protection rate",
            "Protection against an attacker who knows a few variables of a person and looks "
            "for the one avatar that matches them (%).",
        ),
        "inference_continuous": MetricText(
            "Inference protection, numeric",
            "Mean relative error (%) of an attacker guessing a numeric variable from the "
            "variables they know.",
        ),
        "inference_categorical": MetricText(
            "Inference protection, categorical",
            "Share of wrong guesses (%) of an attacker inferring a categorical variable from "
            "the variables they know.",
        ),
        "hellinger_mean": MetricText(
            "Hellinger distance, mean",
            "Mean over the variables of the Hellinger distance between the original and the "
            "avatar distributions (0: identical, 1: disjoint).",
        ),
        "hellinger_std": MetricText(
            "Hellinger distance, standard deviation",
            "Spread of that distance over the variables: high when a few variables are kept "
            "less well than the others.",
        ),
        "correlation_difference_ratio": MetricText(
            "Correlation difference ratio",
            "Sum of the absolute differences between original and avatar correlations, over "
            "the sum of the absolute original correlations (%).",
        ),
        "pointwise_hellinger_mean": MetricText(
            "Point by point, mean",
            "Mean over the grid of the Hellinger distance between the originals' and the "
            "avatars' values at each point of the common grid.",
        ),
        "pointwise_hellinger_std": MetricText(
            "Point by point, standard deviation",
            "Spread of that distance over the grid: high when part of the curves is kept "
            "less well than the rest.",
        ),
        "density_hellinger_mean": MetricText(
            "Values over time, mean",
            "Mean over ten slices of the rescaled time of the Hellinger distance between the "
            "values measured in each slice, originals against avatars.",
        ),
        "density_hellinger_std": MetricText(
            "Values over time, standard deviation",
            "Spread of that distance over the slices of time.",
        ),
    },
    "fr": {
        "attack_singling_out": MetricText(
            "Risque d'isolement",
            "Part en excès des personnes qu'un attaquant isole avec quelques-unes de leurs "
            "valeurs, par rapport aux personnes absentes des données.",
        ),
        "attack_linkability": MetricText(
            "Risque de liaison",
            "Part en excès des personnes dont un attaquant relie les deux moitiés de colonnes "
            "grâce aux avatars.",
        ),
        "attack_inference": MetricText(
            "Risque d'inférence",
            "Part en excès des personnes dont un attaquant devine la colonne secrète à partir "
            "des autres (la colonne la plus exposée).",
        ),
        "attack_linkage": MetricText(
            "Attaque par liaison (top 1)",
            "Part des personnes dont l'avatar est le plus proche de leur enregistrement réel.",
        ),
        "attack_reconstruction": MetricText(
            "Attaque par reconstruction (rappel)",
            "Part des personnes reconstituées à partir des seuls avatars, plus près que leur "
            "plus proche autre original.",
        ),
        "hidden_rate": MetricText(
            "Taux de dissimulation",
            "Part des individus dont l'avatar le plus proche n'est pas le leur (%).",
        ),
        "local_cloaking": MetricText(
            "Camouflage local",
            "Nombre médian d'avatars plus proches d'un individu que son propre avatar.",
        ),
        "distance_to_closest": MetricText(
            "Distance au plus proche",
            "Distance médiane entre un avatar et l'original le plus proche, dans l'espace projeté.",
        ),
        "closest_distances_ratio": MetricText(
            "Ratio des distances les plus proches",
            "Médiane du rapport entre la distance d'un avatar à l'original le plus proche et "
            "celle au deuxième plus proche : proche de 1, aucun original ne se détache.",
        ),
        "column_direct_match_protection": MetricText(
            "Protection contre la correspondance directe (colonnes)",
            "Part des valeurs propres à un seul individu (dans la colonne la plus exposée) "
            "qu'aucun avatar ne reprend à l'identique (%).",
        ),
        "categorical_hidden_rate": MetricText(
            "Taux de dissimulation catégoriel",
            "Taux de dissimulation quand l'attaquant ne compare que les variables "
            "catégorielles (%).",
        ),
        "row_direct_match_protection": MetricText(
            "Protection contre la correspondance directe (lignes)",
            "Part des lignes uniques des données originales qu'aucun avatar ne reproduit à "
            "l'identique (%).",
        ),
        "correlation_protection_rate": MetricText(
            "Taux de protection des corrélations",
            "Protection contre un attaquant qui connaît quelques variables d'une personne et "
            "cherche le seul avatar qui leur correspond (%).",
        ),
        "inference_continuous": MetricText(
            "Protection contre l'inférence, numérique",
            "Erreur relative moyenne (%) d'un attaquant qui devine une variable numérique à "
            "partir des variables qu'il connaît.",
        ),
        "inference_categorical": MetricText(
            "Protection contre l'inférence, catégorielle",
            "Part des mauvaises réponses (%) d'un attaquant qui devine une variable "
            "catégorielle à partir des variables qu'il connaît.",
        ),
        "hellinger_mean": MetricText(
            "Distance de Hellinger, moyenne",
            "Moyenne sur les variables de la distance de Hellinger entre la distribution "
            "originale et celle des avatars (0 : identiques, 1 : disjointes).",
        ),
        "hellinger_std": MetricText(
            "Distance de Hellinger, écart type",
            "Dispersion de cette distance entre les variables : élevée quand quelques "
            "variables sont moins bien conservées que les autres.",
        ),
        "correlation_difference_ratio": MetricText(
            "Ratio de différence des corrélations",
            "Somme des écarts absolus entre les corrélations originales et celles des "
            "avatars, rapportée à la somme des corrélations originales en valeur absolue (%).",
        ),
        "pointwise_hellinger_mean": MetricText(
            "Point par point, moyenne",
            "Moyenne sur la grille de la distance de Hellinger entre les valeurs des "
            "originaux et celles des avatars en chaque point de la grille commune.",
        ),
        "pointwise_hellinger_std": MetricText(
            "Point par point, écart type",
            "Dispersion de cette distance sur la grille : élevée quand une partie des "
            "courbes est moins bien gardée que le reste.",
        ),
        "density_hellinger_mean": MetricText(
            "Valeurs au fil du temps, moyenne",
            "Moyenne sur dix tranches du temps ramené de 0 à 1 de la distance de Hellinger "
            "entre les valeurs mesurées dans chaque tranche, originaux face aux avatars.",
        ),
        "density_hellinger_std": MetricText(
            "Valeurs au fil du temps, écart type",
            "Dispersion de cette distance sur les tranches de temps.",
        ),
    },
}

# The declared privacy-impact values (avatar_yaml enums) and the column kinds, in words.
CHOICES: dict[str, dict[str, str]] = {
    "en": {
        "datarecipient.unknown": "to be completed",
        "datarecipient.internal": "internal use",
        "datarecipient.contractual_third_party": "third party under contract",
        "datarecipient.public": "public release",
        "data_type.unknown": "to be completed",
        "data_type.health": "health",
        "data_type.financial": "financial",
        "data_type.human_resources": "human resources",
        "data_type.commercial": "commercial",
        "data_type.other": "other",
        "datasubject.unknown": "to be completed",
        "datasubject.patients": "patients",
        "datasubject.customers": "customers",
        "datasubject.employees": "employees",
        "datasubject.citizens": "citizens",
        "datasubject.other": "other",
        "sensitivity_level.undefined": "to be completed",
        "sensitivity_level.Low": "low",
        "sensitivity_level.Medium": "medium",
        "sensitivity_level.High": "high",
        "kind.continuous": "number",
        "kind.discrete": "number (few values)",
        "kind.datetime": "date",
        "kind.boolean": "yes/no",
        "kind.categorical": "category",
        "imputation.knn": "k nearest neighbours",
        "imputation.fast_knn": "k nearest neighbours (fast)",
        "imputation.mode": "most frequent value",
        "imputation.median": "median",
        "imputation.mean": "mean",
        "exclusion.row_order": "re-attached in row order (not anonymized)",
        "exclusion.coordinate_similarity": "re-attached from the nearest original",
        "method.linear_sum_assignment": "optimal assignment under quotas",
        "method.minimum_distance_assignment": "nearest parent with room left",
        "method.sensitive_original_order_assignment": "original links copied (sensitive)",
        "method.time_series": "each person's series avatarized with that person",
        "computation.standalone": "the table alone",
        "computation.to_top_enriched": "with its children's aggregates",
        "computation.to_bottom_id_propagated": "the table's own columns",
        "computation.full_enriched": "with the person's columns",
        "computation.to_bottom_information_propagated": "with the person's columns",
        "computation.person_and_series": "the person's columns with their series",
        "projection.fpca": "principal components of the curves (fpca)",
        "projection.flatten": "every grid point kept (flatten)",
        "alignment.mean": "the mean number of points of a series",
        "alignment.min": "the smallest number of points of a series",
        "alignment.max": "the largest number of points of a series",
        "unalignment.uniform": "each avatar series resampled at its own number of points",
        "unalignment.skip": "each avatar series on the grid's points",
        "measure.cramers_v": "Cramér's V",
        "measure.pearson": "Pearson r",
        "measure.correlation_ratio": "correlation ratio \u03b7",
    },
    "fr": {
        "datarecipient.unknown": "à compléter",
        "datarecipient.internal": "usage interne",
        "datarecipient.contractual_third_party": "tiers sous contrat",
        "datarecipient.public": "publication ouverte",
        "data_type.unknown": "à compléter",
        "data_type.health": "santé",
        "data_type.financial": "financières",
        "data_type.human_resources": "ressources humaines",
        "data_type.commercial": "commerciales",
        "data_type.other": "autre",
        "datasubject.unknown": "à compléter",
        "datasubject.patients": "patients",
        "datasubject.customers": "clients",
        "datasubject.employees": "salariés",
        "datasubject.citizens": "citoyens",
        "datasubject.other": "autre",
        "sensitivity_level.undefined": "à compléter",
        "sensitivity_level.Low": "faible",
        "sensitivity_level.Medium": "moyen",
        "sensitivity_level.High": "élevé",
        "kind.continuous": "nombre",
        "kind.discrete": "nombre (peu de valeurs)",
        "kind.datetime": "date",
        "kind.boolean": "oui/non",
        "kind.categorical": "catégorie",
        "imputation.knn": "k plus proches voisins",
        "imputation.fast_knn": "k plus proches voisins (rapide)",
        "imputation.mode": "valeur la plus fréquente",
        "imputation.median": "médiane",
        "imputation.mean": "moyenne",
        "exclusion.row_order": "rattachées dans l'ordre des lignes (non anonymisées)",
        "exclusion.coordinate_similarity": "rattachées depuis l'original le plus proche",
        "method.linear_sum_assignment": "affectation optimale sous quotas",
        "method.minimum_distance_assignment": "parent le plus proche ayant de la place",
        "method.sensitive_original_order_assignment": "liens d'origine recopiés (sensible)",
        "method.time_series": "la série de chaque personne avatarisée avec elle",
        "computation.standalone": "la table seule",
        "computation.to_top_enriched": "avec les agrégats de ses enfants",
        "computation.to_bottom_id_propagated": "les colonnes propres de la table",
        "computation.full_enriched": "avec les colonnes de la personne",
        "computation.to_bottom_information_propagated": "avec les colonnes de la personne",
        "computation.person_and_series": "les colonnes de la personne avec ses séries",
        "projection.fpca": "composantes principales des courbes (fpca)",
        "projection.flatten": "chaque point de la grille gardé (flatten)",
        "alignment.mean": "le nombre moyen de points d'une série",
        "alignment.min": "le plus petit nombre de points d'une série",
        "alignment.max": "le plus grand nombre de points d'une série",
        "unalignment.uniform": (
            "chaque série d'avatar rééchantillonnée à son propre nombre de points"
        ),
        "unalignment.skip": "chaque série d'avatar sur les points de la grille",
        "measure.cramers_v": "V de Cramér",
        "measure.pearson": "r de Pearson",
        "measure.correlation_ratio": "rapport de corrélation \u03b7",
    },
}

MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}
