{#- The data providers, one row each. source_key is the surrogate key every fact carries. -#}
with sources as (
    select 'coingecko' as source_id, 'CoinGecko' as source_name, 'https://api.coingecko.com/api/v3' as base_url, false as requires_api_key
    union all
    select 'coinmarketcap', 'CoinMarketCap', 'https://pro-api.coinmarketcap.com', true
    union all
    select 'blockchain_com', 'blockchain.com', 'https://api.blockchain.info', false
    union all
    select 'mempool_space', 'mempool.space', 'https://mempool.space/api', false
    union all
    select 'github', 'GitHub', 'https://api.github.com', false
    union all
    select 'reddit', 'Reddit', 'https://www.reddit.com', false
)

select
    {{ surrogate_key(['source_id']) }} as source_key,
    source_id,
    source_name,
    base_url,
    requires_api_key
from sources
