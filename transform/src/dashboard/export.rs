//! `transform dashboard export DIR`: the page as static files — index.html with the panel list and
//! every panel's data inlined (no server, opens from disk), the assets next to it, and each panel's
//! CSV under data/ for the download links.

use std::path::Path;

use super::live::Live;
use crate::error::{Error, Result};
use crate::web::assets::{self, Site};

/// JSON made safe inside `<script type="application/json">`: `<` only ever occurs inside strings there.
fn inline_json(text: &str) -> String {
    text.replace('<', "\\u003c")
}

pub fn write(live: &Live, dir: &Path) -> Result<usize> {
    assets::echarts().map_err(Error::Usage)?;
    let write = |rel: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))
    };
    let snap = live.current();
    let mut panels = String::from("{");
    for (i, p) in live.panels.iter().enumerate() {
        let Some(data) = snap.panels.get(&p.panel.name) else { continue };
        if i > 0 {
            panels.push(',');
        }
        panels.push_str(&serde_json::to_string(&p.panel.name).unwrap_or_default());
        panels.push(':');
        panels.push_str(&String::from_utf8_lossy(&data.json));
        write(&format!("data/{}.csv", p.panel.name), &data.csv)?;
    }
    panels.push('}');
    let bundle = format!("{{\"dashboard\":{},\"panels\":{panels}}}", live.meta());
    let tag = format!("<script id=\"dashboard-data\" type=\"application/json\">{}</script>", inline_json(&bundle));
    write("index.html", assets::DASHBOARD_PAGE.replace("<!--transform:data-->", &tag).as_bytes())?;
    for name in assets::names(Site::Dashboard) {
        if let Some(a) = assets::get(name) {
            write(&format!("assets/{name}"), a.body)?;
        }
    }
    Ok(live.panels.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn inline_json_cannot_close_the_script() {
        assert_eq!(super::inline_json(r#"{"sql":"</script><!--"}"#), r#"{"sql":"\u003c/script>\u003c!--"}"#);
    }
}
