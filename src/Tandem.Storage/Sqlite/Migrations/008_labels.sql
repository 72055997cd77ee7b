-- Human labels of a route's requests (tandem labels import), in versioned sets: one set per import, with every
-- rater's label of every item, the agreed label and text of each item (the training data), and the agreement.
-- Times are Unix microseconds (UTC).
CREATE TABLE tandem_label_set (
    version    INTEGER PRIMARY KEY AUTOINCREMENT,
    route      TEXT    NOT NULL,
    created    BIGINT  NOT NULL,
    raters     INTEGER NOT NULL,
    items      INTEGER NOT NULL,
    kappa      DOUBLE PRECISION,
    kappa_kind TEXT    NOT NULL,
    source     TEXT    NOT NULL
);
CREATE INDEX ix_tandem_label_set_route ON tandem_label_set (route, version);

CREATE TABLE tandem_label (
    version INTEGER NOT NULL,
    item    TEXT    NOT NULL,
    rater   TEXT    NOT NULL,
    label   TEXT    NOT NULL,
    PRIMARY KEY (version, item, rater)
);

CREATE TABLE tandem_label_agreed (
    version INTEGER NOT NULL,
    item    TEXT    NOT NULL,
    text    TEXT    NOT NULL,
    label   TEXT    NOT NULL,
    PRIMARY KEY (version, item)
);
