"""Search: a bigram index over items, facets from their facts, ranked queries."""
